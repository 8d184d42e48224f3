"""Entry logic shared by ``main.py`` and the PyInstaller bundle.

Why a separate module: the frozen executable and ``python main.py`` must behave
the same, and the headless options (``--version``, ``--self-test``) must work on a
machine without a display or Qt platform plugins. So this module dispatches on
the command line *before* anything imports Qt (or torch); only the GUI path
imports :mod:`voxstudio.gui.app`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from voxstudio import __version__

HEADLESS_FLAGS = ("--version", "--self-test")


def version_text() -> str:
    """One line naming the program, its version and whether it runs frozen."""
    kind = "bundle" if getattr(sys, "frozen", False) else "source"
    return f"VoxStudio {__version__} ({kind}, Python {sys.version.split()[0]})"


def _self_test_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="voxstudio --self-test",
        description="Headless check of a VoxStudio install: load the shipped weights, "
        "generate and classify one shape per class, export STL files.",
    )
    parser.add_argument("--self-test", action="store_true", required=True)
    parser.add_argument(
        "--weights",
        type=Path,
        default=None,
        help="weights folder (default: the shipped weights/ found by voxstudio.paths)",
    )
    parser.add_argument(
        "--random-weights",
        action="store_true",
        help="use untrained networks instead of loading weights (development only)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="keep the exported STL files in this folder (default: a temporary folder)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run VoxStudio: ``--version``/``--self-test`` headless, otherwise the GUI.

    ``argv`` excludes the program name (``sys.argv[1:]`` by default).
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if "--version" in args:
        print(version_text())
        return 0
    if "--self-test" in args:
        options = _self_test_parser().parse_args(args)
        from voxstudio.selftest import run_self_test

        return run_self_test(
            weights_dir=options.weights,
            random_weights=options.random_weights,
            out_dir=options.out,
        )
    from voxstudio.gui.app import run

    return int(run([sys.argv[0], *args]) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
