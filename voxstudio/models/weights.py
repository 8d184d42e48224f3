"""Save and load network weights as safetensors + a JSON config, never pickle.

Shipped and user-trained weights are loaded by the GUI from disk; a pickle
(``torch.load`` without ``weights_only``) would execute whatever code a crafted
file contains.  safetensors holds only raw tensors, and the JSON next to it holds
the architecture, classes and training facts needed to rebuild the network.

A pair of files shares one *stem*: ``weights/capsnet`` means
``weights/capsnet.safetensors`` + ``weights/capsnet.json``.  The JSON records the
SHA-256 of its safetensors file so that a config and a weights file from two
different runs are caught instead of silently mis-loaded.

Verification before anything is used (:func:`load_weights`):

* both files must be regular files within size limits (:data:`MAX_WEIGHTS_BYTES`,
  the JSON through :func:`~voxstudio.core.io.common.read_json`: size and nesting
  depth limited);
* the checksum is **required** (``weights_file.sha256``) and is computed by
  streaming the file, so a multi-GB file never sits in memory whole; the size
  (``bytes``, written since issue 14), tensor count and value count are compared
  when recorded;
* tensors are read lazily from the memory-mapped file, each checked against the
  ``tensors`` manifest of dtype and shape when the JSON has one, and every
  floating-point tensor must be finite (NaN weights are refused, not run).

:func:`load_into` also refuses a tensor whose dtype differs from the module's.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save as safetensors_save

from voxstudio.core.atomic import SHARED_FILE_MODE, atomic_write
from voxstudio.core.errors import VoxelFileError, WeightsError  # WeightsError re-exported here
from voxstudio.core.io.common import check_readable, read_json

WEIGHTS_SUFFIX = ".safetensors"
CONFIG_SUFFIX = ".json"
#: Key the JSON config reserves for facts about the safetensors file itself.
FILE_INFO_KEY = "weights_file"
MAX_WEIGHTS_BYTES = 256 * 1024 * 1024
"""Largest safetensors file loaded (256 MB; the shipped ones are under 10 MB)."""
MAX_CONFIG_BYTES = 16 * 1024 * 1024
"""Largest weights JSON config (16 MB)."""

# --- The shipped weights folder's layout (written by training, read by the engine) ---
#: Stems of the two pairs in a weights folder: ``gan.{safetensors,json}`` and ``capsnet.{safetensors,json}``.
GAN_STEM = "gan"
CAPSNET_STEM = "capsnet"
#: Extra tensors stored in ``gan.safetensors`` next to the generator weights.
DIRECTIONS_KEY = "latent_directions"
SCALES_KEY = "latent_direction_scales"
#: Prefix of the (optional) VAE encoder's tensors in ``gan.safetensors``.
ENCODER_PREFIX = "encoder."

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_HASH_CHUNK = 1 << 20


def generator_state(
    generator: torch.nn.Module,
    encoder: torch.nn.Module | None,
    directions: torch.Tensor,
    scales: torch.Tensor,
) -> dict[str, torch.Tensor]:
    """The tensors of ``gan.safetensors``: generator, ``encoder.*``, slider directions and scales."""
    state = {k: v.detach().cpu() for k, v in generator.state_dict().items()}
    if encoder is not None:
        for k, v in encoder.state_dict().items():
            state[ENCODER_PREFIX + k] = v.detach().cpu()
    state[DIRECTIONS_KEY] = torch.as_tensor(directions)
    state[SCALES_KEY] = torch.as_tensor(scales)
    return state


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
        "bytes": len(payload),
        "num_tensors": len(tensors),
        "num_values": int(sum(t.numel() for t in tensors.values())),
        "tensors": {name: [_DTYPE_NAMES.get(t.dtype, str(t.dtype)), list(t.shape)] for name, t in tensors.items()},
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
    file when either file is missing, unreadable, over its size limit, corrupt,
    without its checksum, not finite, or the two do not belong together (see the
    module docstring for every check).
    """
    tensors_path, config_path = weight_paths(path_stem)
    for path, what in ((tensors_path, "weights file"), (config_path, "weights config")):
        if not path.exists():
            raise WeightsError(path, f"{what} not found")
    config = _read_config(config_path)
    info = config.get(FILE_INFO_KEY)
    if not isinstance(info, dict) or not isinstance(info.get("sha256"), str):
        raise WeightsError(
            config_path,
            f"weights config has no '{FILE_INFO_KEY}.sha256' checksum of {tensors_path.name}: "
            "refusing weights that cannot be verified (re-save them with save_weights)",
        )
    expected_sha = info["sha256"].lower()
    if not _SHA256.match(expected_sha):
        raise WeightsError(config_path, f"'{FILE_INFO_KEY}.sha256' is not a SHA-256 hex digest")
    size = _check_file(tensors_path, MAX_WEIGHTS_BYTES, "weights file")
    recorded_size = info.get("bytes")
    if recorded_size is not None and (type(recorded_size) is not int or recorded_size != size):
        raise WeightsError(
            tensors_path, f"weights file is {size:,} bytes, its config {config_path.name} records {recorded_size!r}"
        )
    if _sha256_of(tensors_path) != expected_sha:
        raise WeightsError(
            tensors_path,
            f"weights file does not match its config {config_path.name} "
            "(checksum differs: corrupt, or the two files come from different runs)",
        )
    tensors = _read_tensors(tensors_path, info)
    target = torch.device(device)
    if target.type != "cpu":
        tensors = {name: tensor.to(target) for name, tensor in tensors.items()}
    return tensors, config


_DTYPE_NAMES = {
    torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
    torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8",
    torch.bool: "BOOL",
}


def _read_config(config_path: Path) -> dict[str, Any]:
    try:
        config = read_json(config_path, MAX_CONFIG_BYTES, what="weights config")
    except VoxelFileError as error:
        raise WeightsError(config_path, error.problem) from None
    if not isinstance(config, dict):
        raise WeightsError(config_path, "weights config must be a JSON object")
    return config


def _check_file(path: Path, max_bytes: int, what: str) -> int:
    """Regular file within ``max_bytes`` (FIFOs and devices refused before opening)."""
    try:
        return check_readable(path, max_bytes)
    except VoxelFileError as error:
        raise WeightsError(path, f"{what}: {error.problem}") from None


def _sha256_of(path: Path) -> str:
    """SHA-256 of a file read in 1 MB chunks (non-blocking open: a swapped-in FIFO cannot hang it)."""
    digest = hashlib.sha256()
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        with os.fdopen(fd, "rb") as handle:
            if not os.path.isfile(path) or not _is_regular(handle.fileno()):
                raise WeightsError(path, "weights file is not a regular file")
            while chunk := handle.read(_HASH_CHUNK):
                digest.update(chunk)
    except OSError as error:
        raise WeightsError(path, f"cannot read weights file ({error.strerror or error})") from None
    return digest.hexdigest()


def _is_regular(fd: int) -> bool:
    import stat

    return stat.S_ISREG(os.fstat(fd).st_mode)


def _read_tensors(path: Path, info: dict[str, Any]) -> dict[str, torch.Tensor]:
    """Tensors read one at a time from the memory-mapped file, each checked as it arrives."""
    manifest = info.get("tensors")
    if manifest is not None and not isinstance(manifest, dict):
        raise WeightsError(path, f"'{FILE_INFO_KEY}.tensors' in the config is not an object")
    tensors: dict[str, torch.Tensor] = {}
    try:
        with safe_open(str(path), framework="pt", device="cpu") as handle:
            names = list(handle.keys())
            _compare_count(path, "tensors", len(names), info.get("num_tensors"))
            if manifest is not None and set(manifest) != set(names):
                differ = sorted(set(manifest) ^ set(names))
                raise WeightsError(path, f"tensors differ from the config's manifest ({', '.join(differ[:4])})")
            for name in names:
                tensor = handle.get_tensor(name)
                if manifest is not None:
                    _check_declared(path, name, tensor, manifest[name])
                if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
                    raise WeightsError(path, f"tensor {name!r} holds NaN or infinite values")
                tensors[name] = tensor
    except WeightsError:
        raise
    except (SafetensorError, ValueError, RuntimeError, OSError, TypeError) as error:
        raise WeightsError(path, f"weights file is corrupt or not safetensors ({error})") from error
    _compare_count(path, "values", sum(t.numel() for t in tensors.values()), info.get("num_values"))
    return tensors


def _compare_count(path: Path, what: str, actual: int, recorded: object) -> None:
    if recorded is not None and (type(recorded) is not int or recorded != actual):
        raise WeightsError(path, f"weights file holds {actual:,} {what}, its config records {recorded!r}")


def _check_declared(path: Path, name: str, tensor: torch.Tensor, declared: object) -> None:
    if (
        not isinstance(declared, list)
        or len(declared) != 2
        or not isinstance(declared[0], str)
        or not isinstance(declared[1], list)
    ):
        raise WeightsError(path, f"the config's manifest entry for {name!r} is not [dtype, shape]")
    dtype = _DTYPE_NAMES.get(tensor.dtype, str(tensor.dtype))
    if dtype != declared[0] or list(tensor.shape) != declared[1]:
        raise WeightsError(
            path, f"tensor {name!r} is {dtype} {list(tensor.shape)}, the config declares {declared[0]} {declared[1]}"
        )


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
    # A float tensor stored as integers (or I64 relabelled F64) would be silently cast by load_state_dict.
    wrong_dtype = sorted(
        name for name in set(own) & set(state_dict)
        if own[name].dtype != state_dict[name].dtype
        and (own[name].is_floating_point() != state_dict[name].is_floating_point()
             or not own[name].is_floating_point())
    )
    problems = []
    for label, names in (("missing", missing), ("unexpected", unexpected), ("wrong shape", wrong_shape),
                         ("wrong dtype", wrong_dtype)):
        if names:
            shown = ", ".join(names[:4]) + (f" (+{len(names) - 4} more)" if len(names) > 4 else "")
            problems.append(f"{label}: {shown}")
    if problems:
        raise WeightsError(
            source, f"weights do not fit {type(module).__name__} ({'; '.join(problems)})"
        )
    module.load_state_dict(state_dict, strict=True)
