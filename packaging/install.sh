#!/bin/sh
# Install VoxStudio for the current user (no root): run from the unpacked release folder.
#
#   ./install.sh                  app in ~/.local/opt/voxstudio, launcher ~/.local/bin/voxstudio,
#                                 menu entry, icons and file types under ~/.local/share
#   ./install.sh --prefix DIR     the same under DIR instead of ~/.local
#   ./install.sh --uninstall      remove what was installed (with the same --prefix)
#
# XDG_DATA_HOME is honoured for the desktop entry, icons and MIME types. The app is
# copied next to its final place and moved in with one rename, so an old install keeps
# working until the new one is complete. Desktop, MIME and icon caches are refreshed
# where update-desktop-database / update-mime-database / gtk-update-icon-cache exist.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
prefix="${HOME:?HOME is not set}/.local"
uninstall=0
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) [ $# -ge 2 ] || { echo "install.sh: --prefix needs a folder" >&2; exit 2; }
                  prefix=$2; shift ;;
        --prefix=*) prefix=${1#--prefix=} ;;
        --uninstall) uninstall=1 ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
case "$prefix" in /*) ;; *) prefix="$(pwd)/$prefix" ;; esac
if [ "$prefix" = "$HOME/.local" ]; then data="${XDG_DATA_HOME:-$HOME/.local/share}"; else data="$prefix/share"; fi

app="$prefix/opt/voxstudio"
bin="$prefix/bin/voxstudio"
desktop="$data/applications/voxstudio.desktop"
mime="$data/mime/packages/voxstudio.xml"
icon_png="$data/icons/hicolor/256x256/apps/voxstudio.png"
icon_svg="$data/icons/hicolor/scalable/apps/voxstudio.svg"

refresh() {
    if command -v update-desktop-database >/dev/null 2>&1; then
        update-desktop-database -q "$data/applications" 2>/dev/null || true
    fi
    if command -v update-mime-database >/dev/null 2>&1; then
        update-mime-database "$data/mime" >/dev/null 2>&1 || true
    fi
    if command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -f "$data/icons/hicolor/index.theme" ]; then
        gtk-update-icon-cache -q -t "$data/icons/hicolor" 2>/dev/null || true
    fi
}

if [ "$uninstall" = 1 ]; then
    rm -rf "$app"
    rm -f "$desktop" "$mime" "$icon_png" "$icon_svg"
    if [ -L "$bin" ]; then rm -f "$bin"; fi
    refresh
    echo "VoxStudio removed from $prefix"
    exit 0
fi

[ -x "$here/voxstudio/voxstudio" ] || { echo "install.sh: $here/voxstudio/voxstudio is missing" >&2; exit 1; }
mkdir -p "$prefix/opt" "$prefix/bin" "$(dirname "$desktop")" "$(dirname "$mime")" \
         "$(dirname "$icon_png")" "$(dirname "$icon_svg")"

# The app: copied beside its place, then swapped in.
staging="$prefix/opt/.voxstudio.installing.$$"
rm -rf "$staging"
trap 'rm -rf "$staging"' EXIT
cp -R -P "$here/voxstudio" "$staging"
if [ -e "$app" ]; then
    old="$prefix/opt/.voxstudio.old.$$"
    mv "$app" "$old"
    mv "$staging" "$app"
    rm -rf "$old"
else
    mv "$staging" "$app"
fi
ln -sfn "$app/voxstudio" "$bin"

# Menu entry pointing at the installed executable; icons; file types.
sed -e "s|^TryExec=.*|TryExec=$app/voxstudio|" -e "s|^Exec=[^ ]*|Exec=\"$app/voxstudio\"|" \
    "$here/share/applications/voxstudio.desktop" > "$desktop.tmp"
chmod 644 "$desktop.tmp"
mv "$desktop.tmp" "$desktop"
cp "$here/share/mime/packages/voxstudio.xml" "$mime"
cp "$here/share/icons/hicolor/256x256/apps/voxstudio.png" "$icon_png"
cp "$here/share/icons/hicolor/scalable/apps/voxstudio.svg" "$icon_svg"
refresh

echo "VoxStudio installed in $app"
echo "  command : $bin$(case ":$PATH:" in *":$prefix/bin:"*) ;; *) echo " (add $prefix/bin to PATH)";; esac)"
echo "  menu    : $desktop"
echo "  files   : .binvox .vox .off .stl open with VoxStudio ($mime)"
