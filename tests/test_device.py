"""pick_device: auto, explicit choices, the environment override and clear errors."""

from __future__ import annotations

import pytest
import torch

from voxstudio.models.device import DEVICE_ENV_VAR, DeviceError, pick_device


def test_cpu_and_auto(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DEVICE_ENV_VAR, raising=False)
    assert pick_device("cpu") == torch.device("cpu")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert pick_device("auto").type == expected
    assert pick_device(None).type == expected
    assert pick_device(torch.device("cpu")) == torch.device("cpu")


def test_environment_overrides_auto_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DEVICE_ENV_VAR, "cpu")
    assert pick_device("auto") == torch.device("cpu")
    monkeypatch.setenv(DEVICE_ENV_VAR, "tpu")
    with pytest.raises(DeviceError, match=DEVICE_ENV_VAR):
        pick_device("auto")
    assert pick_device("cpu") == torch.device("cpu")  # explicit choice ignores the variable


def test_unknown_device_names_are_rejected() -> None:
    for name in ("gpu", "cuda:x", "cuda:-1"):
        with pytest.raises(DeviceError, match="unknown device"):
            pick_device(name)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_without_gpu_is_a_clear_error() -> None:
    for name in ("cuda", "cuda:0", "CUDA:1"):
        with pytest.raises(DeviceError, match="CUDA is not available.*--device cpu"):
            pick_device(name)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_index_out_of_range() -> None:
    with pytest.raises(DeviceError, match="only"):
        pick_device(f"cuda:{torch.cuda.device_count()}")
