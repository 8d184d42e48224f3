"""argparse value types and option groups shared by several sub-commands.

One definition per rule, so ``--workers 0`` and ``--epochs 0`` are refused with
the same words.  No heavy imports here: ``voxstudio --help`` stays instant.
"""

from __future__ import annotations

import argparse


def parse_int(text: str) -> int:
    """``int(text)``, or the argparse error every integer option reports."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None


def parse_float(text: str) -> float:
    """``float(text)``, or the argparse error every number option reports."""
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None


def positive_int(text: str) -> int:
    """argparse type: an integer of at least 1 (counts, sizes, step intervals)."""
    value = parse_int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def positive_float(text: str) -> float:
    """argparse type: a number above 0 (learning rates)."""
    value = parse_float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {value}")
    return value


def add_runtime_options(parser: argparse.ArgumentParser) -> None:
    """``--device`` / ``--threads``, shared by ``train`` and ``evaluate``."""
    parser.add_argument("--device", default="auto", metavar="DEV",
                        help="auto, cpu, cuda or cuda:N (default: auto = $VOXSTUDIO_DEVICE, else cuda if available)")
    parser.add_argument("--threads", type=positive_int, default=None, metavar="N",
                        help="CPU threads for torch (default: torch's choice; use 1 on a shared machine)")


def apply_runtime_options(args: argparse.Namespace) -> None:
    """Act on ``--threads`` (see :func:`add_runtime_options`); ``--device`` is passed to the loaders."""
    if getattr(args, "threads", None):
        import torch

        torch.set_num_threads(args.threads)
