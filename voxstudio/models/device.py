"""Choose the torch device for training and inference.

One function so that the CLI, the GUI and the training loop agree on what
``--device auto`` means and fail the same, readable way when CUDA is asked for
on a machine that has none.
"""

from __future__ import annotations

import os
import re

import torch

from voxstudio.core.errors import DeviceError  # re-exported: callers import it from here

#: Environment variable that replaces the ``"auto"`` choice (e.g. ``cpu`` on a
#: laptop whose GPU is busy, or ``cuda:1`` on a shared workstation).
DEVICE_ENV_VAR = "VOXSTUDIO_DEVICE"

_CUDA_PATTERN = re.compile(r"^cuda(?::(\d+))?$")


def pick_device(preference: str | torch.device | None = "auto") -> torch.device:
    """Resolve ``"auto" | "cpu" | "cuda" | "cuda:N"`` (or a ``torch.device``) to a device.

    ``"auto"`` (or ``None``) means ``$VOXSTUDIO_DEVICE`` when that is set, else
    CUDA when available, else the CPU. An explicit CUDA request on a machine
    without a usable GPU raises :class:`DeviceError` instead of silently
    falling back, because a user who typed ``--device cuda`` wants to know.
    """
    if isinstance(preference, torch.device):
        preference = str(preference)
    choice = (preference or "auto").strip().lower()
    if choice == "auto":
        env_choice = os.environ.get(DEVICE_ENV_VAR, "").strip().lower()
        if env_choice and env_choice != "auto":
            try:
                return _explicit_device(env_choice)
            except DeviceError as error:
                raise DeviceError(f"{DEVICE_ENV_VAR}={env_choice!r}: {error}") from None
        return torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")
    return _explicit_device(choice)


def _explicit_device(choice: str) -> torch.device:
    if choice == "cpu":
        return torch.device("cpu")
    match = _CUDA_PATTERN.match(choice)
    if match is None:
        raise DeviceError(f"unknown device {choice!r}: use 'auto', 'cpu', 'cuda' or 'cuda:N'")
    if not torch.cuda.is_available():
        raise DeviceError(
            f"device {choice!r} requested but CUDA is not available "
            f"(torch {torch.__version__} {'has no CUDA support' if torch.version.cuda is None else 'sees no GPU'}); "
            "use --device cpu"
        )
    index = int(match.group(1)) if match.group(1) is not None else None
    if index is not None and index >= torch.cuda.device_count():
        raise DeviceError(
            f"device {choice!r} requested but only {torch.cuda.device_count()} CUDA device(s) exist"
        )
    return torch.device(choice)
