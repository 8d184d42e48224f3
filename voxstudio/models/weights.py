"""Save and load network weights as safetensors + a JSON config, never pickle.

Shipped and user-trained weights are loaded by the GUI from disk; a pickle
(``torch.load`` without ``weights_only``) would execute whatever code a crafted
file contains.  safetensors holds only raw tensors, and the JSON next to it holds
the architecture, classes and training facts needed to rebuild the network.

A pair of files shares one *stem*: ``weights/capsnet`` means
``weights/capsnet.safetensors`` + ``weights/capsnet.json``.  The JSON records the
SHA-256 of its safetensors file so that a config and a weights file from two
different runs are caught instead of silently mis-loaded.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load as safetensors_load
from safetensors.torch import save as safetensors_save

from voxstudio.core.atomic import SHARED_FILE_MODE, atomic_write

WEIGHTS_SUFFIX = ".safetensors"
CONFIG_SUFFIX = ".json"
#: Key the JSON config reserves for facts about the safetensors file itself.
FILE_INFO_KEY = "weights_file"


class WeightsError(RuntimeError):
    """Weights are missing, corrupt, or do not fit the network; the message is for the user."""

    def __init__(self, path: str | Path | None, problem: str) -> None:
        self.path = None if path is None else Path(path)
        self.problem = problem
        where = f"{self.path}: " if self.path is not None else ""
        super().__init__(f"{where}{problem}")


def weight_paths(path_stem: str | Path) -> tuple[Path, Path]:
    """``(stem.safetensors, stem.json)`` for a stem given with or without either suffix."""
    path = Path(path_stem)
    if path.suffix in (WEIGHTS_SUFFIX, CONFIG_SUFFIX):
        path = path.with_suffix("")
    return path.with_name(path.name + WEIGHTS_SUFFIX), path.with_name(path.name + CONFIG_SUFFIX)


def weights_exist(path_stem: str | Path) -> bool:
    """True when both files of the pair exist (a cheap check before :func:`load_weights`)."""
    tensors_path, config_path = weight_paths(path_stem)
    return tensors_path.is_file() and config_path.is_file()


def save_weights(
    path_stem: str | Path,
    module: torch.nn.Module | Mapping[str, torch.Tensor],
    config: Mapping[str, Any],
) -> tuple[Path, Path]:
    """Write ``stem.safetensors`` (the state dict) and ``stem.json`` (``config``), each atomically.

    ``module`` is a module (its ``state_dict()`` is saved) or a ready state dict.
    ``config`` must be JSON-serialisable; it is checked before anything is written,
    so a bad config never leaves a half-written pair behind.
    """
    tensors_path, config_path = weight_paths(path_stem)
    state = module.state_dict() if isinstance(module, torch.nn.Module) else dict(module)
    # Detached contiguous CPU copies: safetensors refuses shared storage and views.
    tensors = {name: tensor.detach().to("cpu").contiguous().clone() for name, tensor in state.items()}
    payload = safetensors_save(tensors, metadata={"format": "pt"})
    full_config = dict(config)
    full_config[FILE_INFO_KEY] = {
        "file": tensors_path.name,
        "sha256": hashlib.sha256(payload).hexdigest(),
        "num_tensors": len(tensors),
        "num_values": int(sum(t.numel() for t in tensors.values())),
    }
    try:
        text = json.dumps(full_config, indent=2, sort_keys=False, allow_nan=False) + "\n"
    except (TypeError, ValueError) as error:
        raise ValueError(f"weights config for {config_path} is not plain JSON: {error}") from error
    tensors_path.parent.mkdir(parents=True, exist_ok=True)
    # Tensors first: if we die between the two writes the old JSON's checksum
    # no longer matches, and loading reports it instead of mixing two runs.
    for path, data in ((tensors_path, payload), (config_path, text.encode("utf-8"))):
        with atomic_write(path, permissions=SHARED_FILE_MODE) as handle:
            handle.write(data)
    return tensors_path, config_path


def load_weights(
    path_stem: str | Path, device: str | torch.device = "cpu"
) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Read a pair written by :func:`save_weights`: ``(state_dict, config)``.

    Never executes code from the files.  Raises :class:`WeightsError` naming the
    file when either file is missing, unreadable, corrupt, or the two do not
    belong together.
    """
    tensors_path, config_path = weight_paths(path_stem)
    for path, what in ((tensors_path, "weights file"), (config_path, "weights config")):
        if not path.is_file():
            raise WeightsError(path, f"{what} not found")
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise WeightsError(config_path, f"weights config is not valid JSON ({error})") from error
    if not isinstance(config, dict):
        raise WeightsError(config_path, "weights config must be a JSON object")
    try:
        payload = tensors_path.read_bytes()
    except OSError as error:
        raise WeightsError(tensors_path, f"cannot read weights file ({error})") from error
    info = config.get(FILE_INFO_KEY)
    if isinstance(info, dict) and "sha256" in info:
        if hashlib.sha256(payload).hexdigest() != info["sha256"]:
            raise WeightsError(
                tensors_path,
                f"weights file does not match its config {config_path.name} "
                "(checksum differs: corrupt, or the two files come from different runs)",
            )
    try:
        tensors = safetensors_load(payload)
    except (SafetensorError, ValueError, RuntimeError, OSError) as error:
        raise WeightsError(tensors_path, f"weights file is corrupt or not safetensors ({error})") from error
    target = torch.device(device)
    if target.type != "cpu":
        tensors = {name: tensor.to(target) for name, tensor in tensors.items()}
    return tensors, config


def load_into(module: torch.nn.Module, state_dict: Mapping[str, torch.Tensor], source: str | Path | None = None) -> None:
    """``module.load_state_dict(state_dict, strict=True)`` with a readable :class:`WeightsError`.

    Missing or extra tensors and shape differences mean the weights were trained
    for another architecture or configuration; say which tensors, briefly.
    """
    own = module.state_dict()
    missing = sorted(set(own) - set(state_dict))
    unexpected = sorted(set(state_dict) - set(own))
    wrong_shape = sorted(
        name for name in set(own) & set(state_dict) if tuple(own[name].shape) != tuple(state_dict[name].shape)
    )
    problems = []
    for label, names in (("missing", missing), ("unexpected", unexpected), ("wrong shape", wrong_shape)):
        if names:
            shown = ", ".join(names[:4]) + (f" (+{len(names) - 4} more)" if len(names) > 4 else "")
            problems.append(f"{label}: {shown}")
    if problems:
        raise WeightsError(
            source, f"weights do not fit {type(module).__name__} ({'; '.join(problems)})"
        )
    module.load_state_dict(state_dict, strict=True)
