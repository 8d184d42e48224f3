"""``voxstudio convert IN OUT``: any supported voxel or mesh file to any other format."""

from __future__ import annotations

import argparse
from pathlib import Path

from voxstudio.cli.common import parse_int
from voxstudio.cli.export_options import add_export_options, voxel_size_for

RESOLUTION_RANGE = (4, 512)


def resolution_arg(text: str) -> int:
    """argparse type for ``--resolution`` (shared with ``view``)."""
    value = parse_int(text)
    low, high = RESOLUTION_RANGE
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(f"must be between {low} and {high}, got {value}")
    return value


def add_load_options(parser: argparse.ArgumentParser) -> None:
    """``--resolution`` / ``--up`` / ``--surface``, shared by ``convert`` and ``view``."""
    parser.add_argument(
        "--resolution",
        "-r",
        type=resolution_arg,
        default=None,
        metavar="R",
        help="grid size R (R^3 voxels); default: 32 for meshes, the file's own size for voxel files",
    )
    parser.add_argument(
        "--up",
        choices=("auto", "y", "z"),
        default="auto",
        help="up axis of the input; auto: y-up for .obj/.glb/.gltf, z-up for everything else "
        "(use y for ShapeNet .binvox) (default: auto)",
    )
    parser.add_argument(
        "--surface",
        choices=("blocky", "smooth"),
        default="blocky",
        help="mesh style: exact voxel cubes or marching cubes (default: blocky)",
    )


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "convert",
        help="convert between voxel (.binvox .vox .npy) and mesh (.off .obj .stl .ply .glb .gltf) files",
        description="Convert a voxel or mesh file to another format, chosen by OUT's extension. "
        "Meshes are voxelised (upright, grounded, longest side R-2 voxels); voxel grids are "
        "meshed for .stl/.obj/.ply/.glb output (blocky meshes are closed 2-manifolds with coplanar "
        "faces merged) at a physical size: STL in millimetres, GLB/OBJ/PLY in metres (--voxel-size). "
        "The output is written atomically.",
    )
    parser.add_argument("input", metavar="IN", type=Path, help="input file")
    parser.add_argument("output", metavar="OUT", type=Path, help="output file (.binvox .vox .npy .stl .obj .ply .glb)")
    add_load_options(parser)
    add_export_options(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from voxstudio.core.errors import VoxelFileError
    from voxstudio.core.export import (
        EXPORT_EXTENSIONS,
        MESH_EXPORT_EXTENSIONS,
        ExportOptions,
        export,
        unit_of,
    )
    from voxstudio.core.io import load_voxels

    if args.output.suffix.lower() not in EXPORT_EXTENSIONS:
        raise VoxelFileError(args.output, f"cannot write this file type; use one of {', '.join(EXPORT_EXTENSIONS)}")
    grid = load_voxels(args.input, resolution=args.resolution, up=args.up)
    voxel_size = voxel_size_for(args, grid, None)
    options = ExportOptions(voxel_size=voxel_size, keep_main_piece=args.keep_main_piece, vox_colour=args.vox_colour)
    export(args.output, grid, surface=args.surface, options=options)
    size = ""
    suffix = args.output.suffix.lower()
    if suffix in MESH_EXPORT_EXTENSIONS:
        from voxstudio.core.grid import largest_component, to_occupancy
        from voxstudio.data.sizes import physical_extent

        shape = largest_component(to_occupancy(grid)) if args.keep_main_piece else to_occupancy(grid)
        w, d, h = physical_extent(shape, voxel_size)
        size = f", {w:.3g} x {d:.3g} x {h:.3g} m at {voxel_size * 1000:.3g} mm per voxel, in {unit_of(suffix)}"
    print(f"wrote {args.output} ({grid.shape[0]}^3 grid, {int(grid.sum())} occupied voxels{size})")
    return 0
