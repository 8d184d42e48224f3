"""Neural networks (torch, Qt-free): GAN, capsule classifier, CNN baseline, weights I/O, device choice.

The two classifiers are built and loaded by name through :func:`build_classifier`
and :func:`load_classifier`, so the trainer, the evaluator and the engine agree
on what a ``capsnet.json`` / ``baseline.json`` config means.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

CLASSIFIER_KINDS = ("capsnet", "baseline")


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
    from voxstudio.models.weights import WeightsError, load_into, load_weights, weight_paths

    state, config = load_weights(path_stem, device="cpu")
    config_path = weight_paths(path_stem)[1]
    kind, model_config = config.get("kind"), config.get("model")
    if kind not in CLASSIFIER_KINDS or not isinstance(model_config, dict):
        raise WeightsError(config_path, f"not a classifier config (kind={kind!r}; expected one of {CLASSIFIER_KINDS})")
    try:
        model = build_classifier(kind, **model_config)
    except (TypeError, ValueError) as error:
        raise WeightsError(config_path, f"invalid {kind} model config ({error})") from error
    load_into(model, state, weight_paths(path_stem)[0])
    model.to(torch.device(device)).eval()
    return model, config
