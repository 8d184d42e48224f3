"""``voxstudio view FILE``: look at a voxel or mesh file in a 3D window, or render a PNG."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from voxstudio.cli.convert_cmd import add_load_options


def _window_size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT, e.g. 800x600, got {text!r}") from None
    if not (16 <= width <= 8192 and 16 <= height <= 8192):
        raise argparse.ArgumentTypeError(f"window size {width}x{height} out of range 16..8192")
    return width, height


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "view",
        help="show a voxel or mesh file in a 3D window, or render it to a PNG",
        description="Open FILE (any supported voxel or mesh format) in an interactive 3D window "
        "(z up, camera front-left-above). With --screenshot, render offscreen to a PNG and exit "
        "(no display needed).",
    )
    parser.add_argument("file", metavar="FILE", type=Path, help="voxel or mesh file")
    add_load_options(parser)
    parser.add_argument("--screenshot", metavar="PNG", type=Path, help="render offscreen to this PNG and exit")
    parser.add_argument(
        "--window-size", type=_window_size, default=(800, 600), metavar="WxH", help="image / window size (default: 800x600)"
    )
    parser.add_argument("--flat", action="store_true", help="one colour instead of colouring by height")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from voxstudio.core.io import load_voxels

    grid = load_voxels(args.file, resolution=args.resolution, up=args.up)
    if not grid.any():
        print(f"voxstudio: warning: {args.file} has no occupied voxels", file=sys.stderr)
    if args.screenshot is not None:
        from voxstudio.core.render import render_grid_png

        render_grid_png(grid, args.screenshot, surface=args.surface, window_size=args.window_size, color_by_height=not args.flat)
        print(f"wrote {args.screenshot}")
        return 0
    return _show_window(grid, args)


def _show_window(grid, args: argparse.Namespace) -> int:
    import pyvista

    from voxstudio.core.render import BACKGROUND, add_grid_to_plotter, set_default_camera

    try:
        plotter = pyvista.Plotter(window_size=list(args.window_size), title=f"VoxStudio - {args.file.name}")
    except Exception as error:  # noqa: BLE001 - no display, broken OpenGL: whatever VTK raises
        print(f"voxstudio: error: cannot open a 3D window ({error}); use --screenshot PNG", file=sys.stderr)
        return 2
    plotter.set_background(BACKGROUND)
    add_grid_to_plotter(plotter, grid, args.surface, color_by_height=not args.flat)
    plotter.show_bounds(bounds=(0, grid.shape[0], 0, grid.shape[1], 0, grid.shape[2]), xtitle="x", ytitle="y (front -)", ztitle="z (up)")
    set_default_camera(plotter, max(grid.shape))
    plotter.show()
    return 0
