"""Export options shared by ``convert`` and ``generate``: physical size, main piece, .vox colour.

No heavy imports at module level, so ``voxstudio --help`` stays instant.
"""

from __future__ import annotations

import argparse
from typing import Any

from voxstudio.cli.common import parse_float

VOXEL_SIZE_RANGE = (1e-5, 100.0)
"""Accepted metres per voxel: 0.01 mm (a tiny print) to 100 m."""


def voxel_size_arg(text: str) -> float:
    """argparse type for ``--voxel-size METRES``."""
    value = parse_float(text)
    low, high = VOXEL_SIZE_RANGE
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(f"must be between {low:g} and {high:g} metres, got {text}")
    return value


def colour_arg(text: str) -> tuple[int, int, int] | None:
    """argparse type for ``--vox-colour``: ``height`` (None) or ``#RRGGBB`` / ``RRGGBB``."""
    if text.lower() == "height":
        return None
    digits = text.lstrip("#")
    if len(digits) != 6:
        raise argparse.ArgumentTypeError(f"use 'height' or a colour like #c08040, got {text!r}")
    try:
        return (int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16))
    except ValueError:
        raise argparse.ArgumentTypeError(f"use 'height' or a colour like #c08040, got {text!r}") from None


def add_voxel_size_option(parser: argparse.ArgumentParser, default_help: str) -> None:
    """``--voxel-size METRES``; ``default_help`` says what happens without it."""
    parser.add_argument(
        "--voxel-size", type=voxel_size_arg, default=None, metavar="METRES",
        help=f"edge of one voxel in metres, for meshes at physical size: STL is written in millimetres, "
        f"GLB/OBJ/PLY in metres (default: {default_help})",
    )


def add_export_options(parser: argparse.ArgumentParser) -> None:
    """``--voxel-size``, ``--keep-main-piece`` and ``--vox-colour`` for ``convert``."""
    add_voxel_size_option(parser, "longest side 1 m")
    parser.add_argument("--keep-main-piece", action="store_true",
                        help="keep only the largest 26-connected piece (drops floating fragments)")
    parser.add_argument("--vox-colour", type=colour_arg, default=None, metavar="height|#RRGGBB",
                        help=".vox palette: colour by height (default) or one colour")


def voxel_size_for(args: argparse.Namespace, grid: Any, class_name: str | None) -> float:
    """``--voxel-size`` if given, else the class's typical size (see :mod:`voxstudio.data.sizes`)."""
    if args.voxel_size is not None:
        return float(args.voxel_size)
    from voxstudio.core.grid import to_occupancy
    from voxstudio.data.sizes import default_voxel_size

    return default_voxel_size(class_name, to_occupancy(grid))
