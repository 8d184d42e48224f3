"""``voxstudio`` command line: one argparse sub-command module per concern.

Each ``*_cmd`` module exposes ``register(subparsers)`` and sets ``handler`` on its
parser; heavy imports (torch, pyvista) happen inside the handlers so ``--help``
stays instant.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from voxstudio import __version__
from voxstudio.core.errors import VoxelFileError

# Order is the order shown by ``voxstudio --help``.
COMMAND_MODULES: tuple[str, ...] = (
    "dataset_cmd",
    "convert_cmd",
    "view_cmd",
    "train_cmd",
    "evaluate_cmd",
    "classify_cmd",
    "generate_cmd",
    "gui_cmd",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="voxstudio",
        description="VoxStudio: generate, classify, convert and view 3D voxel models.",
    )
    parser.add_argument("--version", action="version", version=f"voxstudio {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_name in COMMAND_MODULES:
        module = importlib.import_module(f"voxstudio.cli.{module_name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except VoxelFileError as error:
        print(f"voxstudio: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("voxstudio: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
