"""Pack the one-folder bundle into a release archive a user installs without root.

    python packaging/make_archive.py --bundle dist/voxstudio --out dist [--format xz|zst]

(``packaging/build.sh --archive`` builds the bundle and then runs this.) The archive
``voxstudio-VERSION-linux-ARCH.tar.xz`` holds one top folder::

    voxstudio-VERSION-linux-ARCH/
      install.sh                       puts everything in place for the user (see below)
      README.txt
      voxstudio/                       the one-folder app (executable + _internal/)
      share/applications/voxstudio.desktop
      share/icons/hicolor/256x256/apps/voxstudio.png, .../scalable/apps/voxstudio.svg
      share/mime/packages/voxstudio.xml    file types .binvox / .vox / .off / .stl

``install.sh`` copies the app to ``~/.local/opt/voxstudio`` (``--prefix`` to change
``~/.local``), links ``~/.local/bin/voxstudio``, installs the desktop entry (its
``Exec`` pointing at the installed executable), the icons and the MIME types under
``~/.local/share``, then refreshes the desktop, MIME and icon caches where those tools
exist. ``install.sh --uninstall`` removes all of it.

The bundle is streamed into the archive as it is (its symbolic links stay links); only
the few small files above are generated. xz -6 on all cores is the default: measured
on libtorch_cpu.so (most of the bundle), it packs to 23 % where zstd -10 and
-15 --long reach 28 % (the 1.1 GB bundle: ~250 vs ~300 MB), as small as xz -9 and
40 % faster. ``--format zst`` trades size for speed (tests use ``--fast``).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP_ID = "voxstudio"

# (MIME type, comment, globs, magic (offset, string) or None). .stl is model/stl in
# shared-mime-info already; listing it again only adds VoxStudio as a handler.
FILE_TYPES: tuple[tuple[str, str, tuple[str, ...], tuple[int, str] | None], ...] = (
    ("model/x-binvox", "binvox voxel grid", ("*.binvox",), (0, "#binvox")),
    ("model/x-magicavoxel", "MagicaVoxel voxel model", ("*.vox",), (0, "VOX ")),
    ("model/x-off", "OFF polygon mesh", ("*.off",), (0, "OFF")),
    ("model/stl", "STL 3D model", ("*.stl",), None),
)


def version() -> str:
    sys.path.insert(0, str(ROOT))
    from voxstudio import __version__

    return __version__


def desktop_entry(exec_path: str = APP_ID) -> str:
    """The ``.desktop`` file; install.sh replaces ``Exec``/``TryExec`` with the installed path."""
    mime = ";".join(kind for kind, *_ in FILE_TYPES)
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Version=1.0\n"
        "Name=VoxStudio\n"
        "GenericName=3D Voxel Studio\n"
        "Comment=Generate, classify and export 3D voxel shapes\n"
        f"TryExec={exec_path}\n"
        f"Exec={exec_path} %f\n"
        f"Icon={APP_ID}\n"
        "Terminal=false\n"
        "Categories=Graphics;3DGraphics;Science;\n"
        f"MimeType={mime};\n"
        "Keywords=voxel;3D;GAN;binvox;STL;\n"
        "StartupNotify=true\n"
        "StartupWMClass=VoxStudio\n"
    )


def mime_xml() -> str:
    """shared-mime-info package for the file types VoxStudio opens."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<mime-info xmlns="http://www.freedesktop.org/standards/shared-mime-info">']
    for kind, comment, globs, magic in FILE_TYPES:
        lines.append(f'  <mime-type type="{kind}">')
        lines.append(f"    <comment>{comment}</comment>")
        lines.append('    <generic-icon name="model"/>')
        lines += [f'    <glob pattern="{glob}"/>' for glob in globs]
        if magic is not None:
            offset, text = magic
            lines += ["    <magic priority=\"50\">", f'      <match type="string" offset="{offset}" value="{text}"/>',
                      "    </magic>"]
        lines.append("  </mime-type>")
    lines.append("</mime-info>")
    return "\n".join(lines) + "\n"


def stage_extras(folder: Path) -> list[str]:
    """Write install.sh, README, desktop entry, icons and MIME XML under ``folder``; their relative paths."""
    files = {
        "install.sh": (ROOT / "packaging" / "install.sh").read_text(encoding="utf-8"),
        "README.txt": README.format(version=version()),
        f"share/applications/{APP_ID}.desktop": desktop_entry(),
        f"share/mime/packages/{APP_ID}.xml": mime_xml(),
    }
    for relative, text in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (folder / "install.sh").chmod(0o755)
    icons = {f"share/icons/hicolor/256x256/apps/{APP_ID}.png": ROOT / "resources" / "icons" / "voxstudio.png",
             f"share/icons/hicolor/scalable/apps/{APP_ID}.svg": ROOT / "resources" / "icons" / "voxstudio.svg"}
    for relative, source in icons.items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, folder / relative)
    return sorted([*files, *icons])


README = """VoxStudio {version}

Install for your user (no root needed):

    ./install.sh                 # app in ~/.local/opt/voxstudio, `voxstudio` in ~/.local/bin,
                                 # menu entry, icon and file types (.binvox .vox .off .stl)
    ./install.sh --prefix DIR    # under DIR instead of ~/.local
    ./install.sh --uninstall     # remove what install.sh put in place

Or run it from here without installing:  ./voxstudio/voxstudio
Check an install headless:               voxstudio --self-test
"""


def compressor(fmt: str, fast: bool = False) -> list[str]:
    """The compressing command (``fast``: a quick low level, for tests of the archive's contents)."""
    if fmt == "zst":
        return ["zstd", "-q", "-1" if fast else "-15", "--long=27", "-T0", "-c"]
    if fmt == "xz":
        return ["xz", "-1" if fast else "-6", "-T0", "-c"]
    raise ValueError(f"unknown archive format {fmt!r} (zst or xz)")


def make_archive(bundle: Path, out_dir: Path, fmt: str = "xz", fast: bool = False) -> Path:
    """Write the release archive for ``bundle`` into ``out_dir`` (atomically); returns its path."""
    bundle = bundle.resolve()
    if not (bundle / APP_ID).is_file():
        raise SystemExit(f"make_archive: {bundle} is not a one-folder bundle (no {APP_ID} executable in it)")
    if shutil.which(compressor(fmt)[0]) is None:
        raise SystemExit(f"make_archive: {compressor(fmt)[0]} is not installed")
    machine = platform.machine() or "unknown"
    top = f"{APP_ID}-{version()}-linux-{machine}"
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{top}.tar.{fmt}"
    with tempfile.TemporaryDirectory() as folder:
        extras = Path(folder)
        names = stage_extras(extras)
        # One tar stream: the generated files, then the bundle, all under the top folder.
        # (transforms apply in order to every name; "S": symbolic links' targets stay as they are)
        tar = ["tar", "--owner=0", "--group=0", "--numeric-owner", "--sort=name", "-cf", "-",
               "--transform", f"s,^{bundle.name}/,{APP_ID}/,S", "--transform", f"s,^{bundle.name}$,{APP_ID},S",
               "--transform", f"s,^,{top}/,S",
               "-C", str(extras), *names, "-C", str(bundle.parent), bundle.name]
        partial = target.with_name(f".{target.name}.partial")
        with open(partial, "wb") as sink:
            packer = subprocess.Popen(tar, stdout=subprocess.PIPE)
            squeezer = subprocess.run(compressor(fmt, fast), stdin=packer.stdout, stdout=sink, check=False)
            packer.stdout.close()
            if packer.wait() != 0 or squeezer.returncode != 0:
                partial.unlink(missing_ok=True)
                raise SystemExit(f"make_archive: tar ({packer.returncode}) or {fmt} ({squeezer.returncode}) failed")
        os.replace(partial, target)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, default=ROOT / "dist" / APP_ID, help="one-folder bundle (dist/voxstudio)")
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="folder for the archive (dist)")
    parser.add_argument("--format", choices=("xz", "zst"), default="xz")
    parser.add_argument("--fast", action="store_true", help="quick, larger archive (tests)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    archive = make_archive(args.bundle, args.out, args.format, args.fast)
    print(f"make_archive: wrote {archive} ({archive.stat().st_size / 2**20:.0f} MiB) "
          f"in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
