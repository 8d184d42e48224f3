#!/usr/bin/env bash
# Build the VoxStudio PyInstaller bundle (spec: packaging/voxstudio.spec).
#
#   packaging/build.sh                 one folder: dist/voxstudio/voxstudio
#   packaging/build.sh --onefile       one file:   dist/onefile/voxstudio
#   packaging/build.sh --no-slim       keep everything the hooks collect (size comparison)
#   packaging/build.sh --allow-missing-weights   development build without weights/
#   packaging/build.sh --clean         discard PyInstaller's cache first
#   packaging/build.sh --archive       also write the release archive dist/voxstudio-VERSION-linux-ARCH.tar.xz
#                                      (app + install.sh + .desktop + icon + file types: packaging/make_archive.py)
#
# VOXSTUDIO_DIST / VOXSTUDIO_BUILD override the output and work folders (default
# dist/ and build/pyinstaller/); PYTHON picks the interpreter. The build runs
# under `nice` so it does not starve interactive work on small machines.
set -euo pipefail
cd "$(dirname "$0")/.."

python="${PYTHON:-python3}"
dist="${VOXSTUDIO_DIST:-dist}"
work="${VOXSTUDIO_BUILD:-build/pyinstaller}"
pyinstaller_args=()
spec_args=()
archive=0
for arg in "$@"; do
    case "$arg" in
        --clean) pyinstaller_args+=(--clean) ;;
        --onefile) spec_args+=(--onefile); dist="$dist/onefile"; work="$work-onefile" ;;
        --no-slim) spec_args+=(--no-slim); work="$work-noslim" ;;
        --allow-missing-weights) spec_args+=(--allow-missing-weights) ;;
        --archive) archive=1 ;;
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
        *) echo "build.sh: unknown option $arg (see --help)" >&2; exit 2 ;;
    esac
done

start=$(date +%s)
nice -n 10 "$python" -m PyInstaller --noconfirm --log-level WARN "${pyinstaller_args[@]}" \
    --distpath "$dist" --workpath "$work" packaging/voxstudio.spec -- "${spec_args[@]}"
seconds=$(( $(date +%s) - start ))
echo "build.sh: built $dist/voxstudio in ${seconds} s, $(du -sh "$dist/voxstudio" | cut -f1)"
if [ "$archive" = 1 ]; then
    if [ ! -x "$dist/voxstudio/voxstudio" ]; then
        echo "build.sh: --archive needs the one-folder bundle (not with --onefile)" >&2
        exit 2
    fi
    nice -n 10 "$python" packaging/make_archive.py --bundle "$dist/voxstudio" --out "$dist"
fi
