"""Weights I/O: safetensors + JSON round trip, and clear errors for every way files go wrong."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from voxstudio.models import load_classifier
from voxstudio.models.baseline import VoxNet
from voxstudio.models.weights import WeightsError, load_into, load_weights, save_weights, weight_paths, weights_exist


def _model(seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3), torch.nn.Linear(3, 2))


def test_round_trip_keeps_every_tensor_and_the_config(tmp_path: Path) -> None:
    model = _model()
    model[1].running_mean += 1.5  # buffers are saved too
    tensors_path, config_path = save_weights(tmp_path / "sub" / "net", model, {"classes": ["a", "b"], "lr": 1e-3})
    assert (tensors_path.name, config_path.name) == ("net.safetensors", "net.json")
    for stem in (tmp_path / "sub" / "net", tensors_path, config_path):  # any of the three names works
        state, config = load_weights(stem)
        assert config["classes"] == ["a", "b"] and config["lr"] == 1e-3
        assert config["weights_file"]["num_tensors"] == len(model.state_dict())
        for name, tensor in model.state_dict().items():
            assert torch.equal(state[name], tensor)
    clone = _model(seed=1)
    load_into(clone, state)
    assert torch.equal(clone[0].weight, model[0].weight)
    assert weights_exist(tmp_path / "sub" / "net")
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == ["net.json", "net.safetensors"]  # no temp files


def test_shared_storage_and_views_are_saved(tmp_path: Path) -> None:
    base = torch.arange(12.0)
    save_weights(tmp_path / "w", {"a": base, "b": base[2:6], "c": base.view(3, 4).t()}, {})
    state, _ = load_weights(tmp_path / "w")
    assert torch.equal(state["b"], base[2:6]) and torch.equal(state["c"], base.view(3, 4).t())


@pytest.mark.parametrize("missing", ["net.safetensors", "net.json"])
def test_missing_file_is_reported(tmp_path: Path, missing: str) -> None:
    save_weights(tmp_path / "net", _model(), {})
    (tmp_path / missing).unlink()
    with pytest.raises(WeightsError, match="not found") as error:
        load_weights(tmp_path / "net")
    assert error.value.path == tmp_path / missing
    assert not weights_exist(tmp_path / "net")


def test_corrupt_tensors_are_caught_by_the_checksum(tmp_path: Path) -> None:
    save_weights(tmp_path / "net", _model(), {})
    data = bytearray((tmp_path / "net.safetensors").read_bytes())
    data[-3] ^= 0xFF
    (tmp_path / "net.safetensors").write_bytes(bytes(data))
    with pytest.raises(WeightsError, match="checksum"):
        load_weights(tmp_path / "net")


def test_corrupt_tensors_without_checksum_are_reported(tmp_path: Path) -> None:
    save_weights(tmp_path / "net", _model(), {})
    config = json.loads((tmp_path / "net.json").read_text())
    del config["weights_file"]
    (tmp_path / "net.json").write_text(json.dumps(config))
    (tmp_path / "net.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all")
    with pytest.raises(WeightsError, match="corrupt") as error:
        load_weights(tmp_path / "net")
    assert error.value.path == tmp_path / "net.safetensors"


def test_pickle_is_never_loaded(tmp_path: Path) -> None:
    """A torch.save (pickle) file renamed to .safetensors is rejected, not executed."""
    save_weights(tmp_path / "net", _model(), {})
    config = json.loads((tmp_path / "net.json").read_text())
    del config["weights_file"]
    (tmp_path / "net.json").write_text(json.dumps(config))
    torch.save(_model().state_dict(), tmp_path / "net.safetensors")
    with pytest.raises(WeightsError, match="corrupt or not safetensors"):
        load_weights(tmp_path / "net")


def test_corrupt_config_is_reported(tmp_path: Path) -> None:
    save_weights(tmp_path / "net", _model(), {})
    (tmp_path / "net.json").write_text("{truncated")
    with pytest.raises(WeightsError, match="not valid JSON"):
        load_weights(tmp_path / "net")
    (tmp_path / "net.json").write_text("[1, 2]")
    with pytest.raises(WeightsError, match="JSON object"):
        load_weights(tmp_path / "net")


def test_files_from_different_runs_do_not_mix(tmp_path: Path) -> None:
    save_weights(tmp_path / "a", _model(0), {"run": "a"})
    save_weights(tmp_path / "b", _model(1), {"run": "b"})
    (tmp_path / "a.json").replace(tmp_path / "b.json")
    with pytest.raises(WeightsError, match="different runs"):
        load_weights(tmp_path / "b")


def test_weights_of_another_architecture_are_reported(tmp_path: Path) -> None:
    save_weights(tmp_path / "net", _model(), {})
    state, _ = load_weights(tmp_path / "net")
    other = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.BatchNorm1d(5))
    with pytest.raises(WeightsError, match=r"wrong shape: 0\.bias, 0\.weight") as error:
        load_into(other, state, tmp_path / "net.safetensors")
    assert "unexpected: 2.bias" in str(error.value)
    assert str(error.value).startswith(str(tmp_path / "net.safetensors"))


def test_unserialisable_config_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not plain JSON"):
        save_weights(tmp_path / "net", _model(), {"bad": object()})
    assert list(tmp_path.iterdir()) == []


def test_load_classifier_rebuilds_from_config(tmp_path: Path) -> None:
    model = VoxNet(num_classes=3, resolution=16, channels=4, hidden=8)
    save_weights(tmp_path / "baseline", model, {"kind": "baseline", "model": model.config(), "classes": ["a", "b", "c"]})
    loaded, config = load_classifier(tmp_path / "baseline")
    assert isinstance(loaded, VoxNet) and not loaded.training
    x = torch.rand(2, 16, 16, 16)
    torch.testing.assert_close(loaded(x), model.eval()(x))
    save_weights(tmp_path / "other", model, {"kind": "gan", "model": {}})
    with pytest.raises(WeightsError, match="not a classifier"):
        load_classifier(tmp_path / "other")
    save_weights(tmp_path / "bad", model, {"kind": "baseline", "model": {"num_classes": 3, "colour": 1}})
    with pytest.raises(WeightsError, match="invalid baseline model config"):
        load_classifier(tmp_path / "bad")


def test_weight_paths_accepts_either_suffix() -> None:
    assert weight_paths("w/capsnet.json") == (Path("w/capsnet.safetensors"), Path("w/capsnet.json"))
    assert weight_paths("w/capsnet.v2") == (Path("w/capsnet.v2.safetensors"), Path("w/capsnet.v2.json"))
