"""Neural networks (torch, Qt-free): GAN, capsule classifier, CNN baseline, weights I/O, device choice.

The two classifiers are built and loaded by name through :func:`build_classifier`
and :func:`load_classifier`, so the trainer, the evaluator and the engine agree
on what a ``capsnet.json`` / ``baseline.json`` config means.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

# torch is imported where used: importing the package (e.g. for the torch-free engine_protocol)
# must not cost the GUI ~0.8 s before its window shows.
if TYPE_CHECKING:
    import torch
    from torch import nn

CLASSIFIER_KINDS = ("capsnet", "baseline")

#: Accepted range of each numeric constructor argument found in a weights config.
#: Checked before any module is built, so a config saying ``num_classes: 10000000``
#: (torch would try to allocate terabytes) or ``-5`` is a message, not a crash.
CONFIG_LIMITS: dict[str, tuple[float, float]] = {
    "num_classes": (1, 1000),
    "resolution": (8, 128),
    "channels": (1, 512),
    "stem_channels": (1, 512),
    "decoder_channels": (1, 512),
    "base_channels": (1, 128),
    "g_channels": (1, 512),
    "d_channels": (1, 512),
    "hidden": (1, 8192),
    "primary_types": (1, 256),
    "primary_dim": (1, 64),
    "class_dim": (1, 128),
    "primary_grid": (1, 16),
    "routing_iterations": (1, 20),
    "latent_dim": (1, 1024),
    "embed_dim": (1, 1024),
    "reconstruction_weight": (0.0, 1000.0),
}


def check_model_config(config: Any, what: str = "model config") -> None:
    """Raise ``ValueError`` unless every known numeric argument is of the right type and in range.

    Integers must be real ints (``true`` is not 1); lists (channel widths) are
    checked element-wise and may hold at most 8 entries (empty: the default). Unknown keys are left to
    the constructor (which rejects them without allocating).
    """
    if not isinstance(config, dict):
        raise ValueError(f"{what} must be a JSON object")
    for key, value in config.items():
        if key not in CONFIG_LIMITS:
            continue
        low, high = CONFIG_LIMITS[key]
        values = value if isinstance(value, list) else [value]
        if isinstance(value, list) and len(value) > 8:
            raise ValueError(f"{what}: {key!r} must list at most 8 values, got {len(value)}")
        for item in values:
            is_float_key = isinstance(low, float)
            ok_type = isinstance(item, (int, float)) if is_float_key else isinstance(item, int)
            if isinstance(item, bool) or not ok_type:
                raise ValueError(f"{what}: {key!r} must be {'a number' if is_float_key else 'an integer'}, "
                                 f"got {item!r}")
            if not low <= item <= high:
                raise ValueError(f"{what}: {key!r} is {item!r}, outside the accepted range {low}..{high}")


def _classifier_class(kind: str) -> type[nn.Module]:
    if kind == "capsnet":
        from voxstudio.models.capsnet import CapsNet3D

        return CapsNet3D
    if kind == "baseline":
        from voxstudio.models.baseline import VoxNet

        return VoxNet
    raise ValueError(f"unknown classifier {kind!r}: choose one of {', '.join(CLASSIFIER_KINDS)}")


def build_classifier(kind: str, **model_config: Any) -> nn.Module:
    """A fresh ``capsnet`` (CapsNet3D) or ``baseline`` (VoxNet) from its constructor arguments."""
    return _classifier_class(kind)(**model_config)


def load_classifier(path_stem: str | Path, device: str | torch.device = "cpu") -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild a classifier from ``stem.json`` and fill it from ``stem.safetensors`` (eval mode).

    The JSON written by training has ``kind`` and ``model`` (constructor
    arguments).  Raises :class:`~voxstudio.models.weights.WeightsError` for
    missing, corrupt or mismatched files.
    """
    import torch

    from voxstudio.models.weights import WeightsError, load_into, load_weights, weight_paths

    state, config = load_weights(path_stem, device="cpu")
    config_path = weight_paths(path_stem)[1]
    kind, model_config = config.get("kind"), config.get("model")
    if kind not in CLASSIFIER_KINDS or not isinstance(model_config, dict):
        raise WeightsError(config_path, f"not a classifier config (kind={kind!r}; expected one of {CLASSIFIER_KINDS})")
    try:
        check_model_config(model_config, f"{kind} model config")
        # Size the network on the meta device first (allocates nothing): a config
        # whose network is bigger than the weights file is refused before building it.
        with torch.device("meta"):
            blueprint = build_classifier(kind, **model_config)
        needed = sum(t.numel() for t in blueprint.state_dict().values())
        del blueprint
    except (TypeError, ValueError) as error:
        raise WeightsError(config_path, f"invalid {kind} model config ({error})") from error
    present = sum(t.numel() for t in state.values())
    if needed != present:
        raise WeightsError(
            config_path,
            f"the {kind} model config describes a network of {needed:,} values, "
            f"but {weight_paths(path_stem)[0].name} holds {present:,}",
        )
    try:
        model = build_classifier(kind, **model_config)
    except (TypeError, ValueError) as error:
        raise WeightsError(config_path, f"invalid {kind} model config ({error})") from error
    load_into(model, state, weight_paths(path_stem)[0])
    model.to(torch.device(device)).eval()
    return model, config
