"""Bundle and release archive sizes (after ``packaging/build.sh --archive``; this script builds nothing).

    python bench/bench_packaging.py [--dist dist]

Reports the one-folder bundle's size on disk (regular files; the links PyInstaller
makes to shared libraries are not counted twice), what its largest parts are
(torch, VTK, Qt, ...), and the size of the newest release archive next to it.
Targets (issue 15): bundle <= 700 MB, archive <= 300 MB.
"""

from __future__ import annotations

import argparse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUNDLE_TARGET_MB = 700.0
ARCHIVE_TARGET_MB = 300.0
# Bundle-relative prefixes (under _internal/) summed as one part each; the rest is "other".
PARTS = (
    ("torch", ("torch/",)),
    ("VTK", ("vtkmodules/",)),
    ("Qt (PySide6)", ("PySide6/", "shiboken6/", "libQt6", "libicu")),
    ("scipy", ("scipy/", "scipy.libs/")),
    ("numpy", ("numpy/", "numpy.libs/")),
    ("weights", ("weights/",)),
)


def files_mb(folder: Path) -> dict[str, float]:
    """MB per part of a one-folder bundle (``total`` included)."""
    sizes = dict.fromkeys([name for name, _ in PARTS] + ["executable + Python code archive", "other"], 0.0)
    for path in folder.rglob("*"):
        if path.is_symlink() or not path.is_file():
            continue
        relative = path.relative_to(folder).as_posix()
        inner = relative.removeprefix("_internal/")
        mb = path.stat().st_size / 2**20
        if relative == folder.name:  # the executable, with the PYZ archive appended
            sizes["executable + Python code archive"] += mb
            continue
        part = next((name for name, prefixes in PARTS if inner.startswith(prefixes)), "other")
        sizes[part] += mb
    sizes["total"] = sum(sizes.values())
    return sizes


def newest_archive(dist: Path) -> Path | None:
    found = sorted(dist.glob("voxstudio-*.tar.*"), key=lambda p: p.stat().st_mtime)
    return found[-1] if found else None


def run(quick: bool = False, dist: Path = ROOT / "dist") -> list:
    from common import PACKAGING, Result, skipped

    bundle = dist / "voxstudio"
    if not (bundle / "voxstudio").is_file():
        return [skipped(PACKAGING, "one-folder bundle on disk", "MB", f"no bundle in {dist} (packaging/build.sh)")]
    sizes = files_mb(bundle)
    results = [Result(PACKAGING, "one-folder bundle on disk", sizes.pop("total"), "MB", runs=1,
                      note=f"target <= {BUNDLE_TARGET_MB:.0f} MB")]
    results += [Result(PACKAGING, f"bundle part: {name}", mb, "MB", runs=1) for name, mb in
                sorted(sizes.items(), key=lambda item: -item[1]) if mb > 0]
    archive = newest_archive(dist)
    if archive is None:
        results.append(skipped(PACKAGING, "release archive", "MB", "none built (packaging/build.sh --archive)"))
    else:
        results.append(Result(PACKAGING, f"release archive {archive.name}", archive.stat().st_size / 2**20, "MB",
                              runs=1, note=f"target <= {ARCHIVE_TARGET_MB:.0f} MB"))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="folder holding voxstudio/ and the archive")
    args = parser.parse_args()
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from common import print_results

    print_results(run(dist=args.dist))


if __name__ == "__main__":
    main()
