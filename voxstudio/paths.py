"""Locate shipped data (weights, resources) from source or from a PyInstaller bundle.

One helper so that the GUI, CLI and self-test find ``weights/`` and ``resources/``
the same way whether run from a checkout, an installed package or a frozen bundle
(where PyInstaller unpacks data under ``sys._MEIPASS``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def app_root() -> Path:
    """Folder holding ``weights/`` and ``resources/``.

    ``VOXSTUDIO_ROOT`` overrides it (tests use this to simulate missing weights).
    """
    override = os.environ.get("VOXSTUDIO_ROOT")
    if override:
        return Path(override)
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle)
    return Path(__file__).resolve().parent.parent


def resource_path(*parts: str) -> Path:
    """Path to a file under ``resources/``."""
    return app_root().joinpath("resources", *parts)


def weights_dir() -> Path:
    """Folder of the shipped trained weights (``VOXSTUDIO_WEIGHTS`` overrides it)."""
    override = os.environ.get("VOXSTUDIO_WEIGHTS")
    if override:
        return Path(override)
    return app_root() / "weights"
