"""``voxstudio gui [FILE]``: start the desktop application."""

from __future__ import annotations

import argparse
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    from voxstudio.gui.app import add_arguments  # argparse only: Qt is imported by the handler

    parser = subparsers.add_parser(
        "gui",
        help="start the desktop application",
        description="Open the VoxStudio window: generate shapes with the GAN, classify files with the "
        "capsule network, view and export. The model loads in the background.",
    )
    add_arguments(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from voxstudio.gui.app import launch, quick_exit

    quick_exit(launch(args, sys.argv[:1]))  # skips the slow interpreter shut-down (see quick_exit)
