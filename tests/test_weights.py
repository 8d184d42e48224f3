"""Weights I/O: safetensors + JSON round trip, and clear errors for every way files go wrong."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
import torch

from voxstudio.models import load_classifier
from voxstudio.models.baseline import VoxNet
from voxstudio.models.weights import WeightsError, load_into, load_weights, save_weights, weight_paths, weights_exist


def _replace_tensors(stem: Path, payload: bytes, keep_manifest: bool = False) -> None:
    """Swap the safetensors file for ``payload`` and make the JSON's checksum match it (a
    consistent but hostile pair: only checks beyond the checksum can catch it)."""
    tensors_path, config_path = weight_paths(stem)
    tensors_path.write_bytes(payload)
    config = json.loads(config_path.read_text())
    info = config["weights_file"]
    info["sha256"] = hashlib.sha256(payload).hexdigest()
    for key in ("bytes", "num_tensors", "num_values") + (() if keep_manifest else ("tensors",)):
        info.pop(key, None)
    config_path.write_text(json.dumps(config))


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


def test_corrupt_tensors_with_a_matching_checksum_are_reported(tmp_path: Path) -> None:
    save_weights(tmp_path / "net", _model(), {})
    _replace_tensors(tmp_path / "net", b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all")
    with pytest.raises(WeightsError, match="corrupt") as error:
        load_weights(tmp_path / "net")
    assert error.value.path == tmp_path / "net.safetensors"


def test_pickle_is_never_loaded(tmp_path: Path) -> None:
    """A torch.save (pickle) file renamed to .safetensors is rejected, not executed."""
    save_weights(tmp_path / "net", _model(), {})
    torch.save(_model().state_dict(), tmp_path / "pickle.pt")
    _replace_tensors(tmp_path / "net", (tmp_path / "pickle.pt").read_bytes())
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


# --------------------------------------------------------------------------- issue 14: verified before use


def test_missing_checksum_is_refused_so_tampered_tensors_never_load(tmp_path: Path) -> None:
    save_weights(tmp_path / "net", _model(0), {})
    save_weights(tmp_path / "evil", _model(1), {})
    (tmp_path / "evil.safetensors").replace(tmp_path / "net.safetensors")  # tampered tensors
    config = json.loads((tmp_path / "net.json").read_text())
    del config["weights_file"]["sha256"]
    (tmp_path / "net.json").write_text(json.dumps(config))
    with pytest.raises(WeightsError, match="no 'weights_file.sha256' checksum") as error:
        load_weights(tmp_path / "net")
    assert error.value.path == tmp_path / "net.json"
    for bad in ("", "abc", "z" * 64, 5):
        config["weights_file"]["sha256"] = bad
        (tmp_path / "net.json").write_text(json.dumps(config))
        with pytest.raises(WeightsError, match="checksum|SHA-256"):
            load_weights(tmp_path / "net")


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_non_finite_weights_with_a_valid_checksum_are_refused(tmp_path: Path, value: float) -> None:
    model = _model()
    with torch.no_grad():
        model[0].weight[1, 2] = value
    save_weights(tmp_path / "net", model, {})
    with pytest.raises(WeightsError, match="'0.weight' holds NaN or infinite values") as error:
        load_weights(tmp_path / "net")
    assert error.value.path == tmp_path / "net.safetensors"


def _relabel_dtype(payload: bytes, old: bytes, new: bytes) -> bytes:
    """Change a dtype in the safetensors JSON header (same byte size, so the file stays well-formed)."""
    length = int.from_bytes(payload[:8], "little")
    header = payload[8 : 8 + length].replace(old, new)
    assert len(header) == length
    return payload[:8] + header + payload[8 + length :]


def test_dtype_changed_in_the_file_is_refused(tmp_path: Path) -> None:
    """num_batches_tracked I64 relabelled F64 (same bytes): caught by the manifest, and by load_into."""
    save_weights(tmp_path / "net", _model(), {})
    payload = _relabel_dtype((tmp_path / "net.safetensors").read_bytes(), b'"I64"', b'"F64"')
    _replace_tensors(tmp_path / "net", payload, keep_manifest=True)
    with pytest.raises(WeightsError, match="'1.num_batches_tracked' is F64 \\[\\], the config declares I64"):
        load_weights(tmp_path / "net")
    _replace_tensors(tmp_path / "net", payload)  # no manifest (weights saved before issue 14)
    state, _ = load_weights(tmp_path / "net")
    with pytest.raises(WeightsError, match="wrong dtype: 1.num_batches_tracked"):
        load_into(_model(), state, tmp_path / "net.safetensors")


def test_shape_against_the_manifest_and_recorded_counts(tmp_path: Path) -> None:
    save_weights(tmp_path / "net", _model(), {})
    config = json.loads((tmp_path / "net.json").read_text())
    config["weights_file"]["tensors"]["0.bias"][1] = [4]
    (tmp_path / "net.json").write_text(json.dumps(config))
    with pytest.raises(WeightsError, match="'0.bias' is F32 \\[3\\], the config declares F32 \\[4\\]"):
        load_weights(tmp_path / "net")
    config["weights_file"]["tensors"]["0.bias"][1] = [3]
    config["weights_file"]["bytes"] += 1
    (tmp_path / "net.json").write_text(json.dumps(config))
    with pytest.raises(WeightsError, match="bytes, its config .* records"):
        load_weights(tmp_path / "net")


def test_oversize_weights_file_is_refused_before_reading(tmp_path: Path) -> None:
    """A multi-GB safetensors (sparse here) is refused from its size, never hashed or read."""
    import time

    save_weights(tmp_path / "net", _model(), {})
    with open(tmp_path / "net.safetensors", "r+b") as handle:
        handle.truncate(3 * 2**30)
    start = time.perf_counter()
    with pytest.raises(WeightsError, match="over the 256 MB limit") as error:
        load_weights(tmp_path / "net")
    assert error.value.path == tmp_path / "net.safetensors"
    assert time.perf_counter() - start < 2


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs os.mkfifo")
@pytest.mark.parametrize("which", ["net.safetensors", "net.json"])
def test_fifo_weights_files_are_refused_without_hanging(tmp_path: Path, which: str) -> None:
    from test_hardening_io import finishes

    save_weights(tmp_path / "net", _model(), {})
    (tmp_path / which).unlink()
    os.mkfifo(tmp_path / which)
    with pytest.raises(WeightsError, match="FIFO") as error:
        finishes(lambda: load_weights(tmp_path / "net"))
    assert error.value.path == tmp_path / which


def test_deeply_nested_config_is_a_weights_error(tmp_path: Path) -> None:
    save_weights(tmp_path / "net", _model(), {})
    (tmp_path / "net.json").write_text('{"extras": ' + "[" * 200_000 + "]" * 200_000 + "}")
    with pytest.raises(WeightsError, match="nested deeper than the limit"):
        load_weights(tmp_path / "net")


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"num_classes": 10_000_000}, "'num_classes' is 10000000, outside the accepted range 1..1000"),
        ({"num_classes": -5}, "'num_classes' is -5, outside"),
        ({"num_classes": True}, "'num_classes' must be an integer"),
        ({"hidden": 4.5}, "'hidden' must be an integer"),
        ({"channels": 400}, "describes a network of"),  # in range, but not the network in the file
    ],
)
def test_classifier_config_is_range_checked_before_building(tmp_path: Path, change: dict, fragment: str,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import voxstudio.models as models

    model = VoxNet(num_classes=3, resolution=16, channels=4, hidden=8)
    config = {"kind": "baseline", "model": {**model.config(), **change}, "classes": ["a", "b", "c"]}
    save_weights(tmp_path / "baseline", model, config)
    real_build = models.build_classifier
    built: list[dict] = []

    def spy(kind: str, **kwargs: object) -> torch.nn.Module:
        module = real_build(kind, **kwargs)
        if next(iter(module.parameters())).device.type != "meta":
            built.append(kwargs)
        return module

    monkeypatch.setattr(models, "build_classifier", spy)
    with pytest.raises(WeightsError, match=fragment) as error:
        load_classifier(tmp_path / "baseline")
    assert error.value.path == tmp_path / "baseline.json"
    assert built == []  # no real module was built from the bad config


def test_gan_architecture_is_range_checked() -> None:
    from voxstudio.models.gan import GANConfig

    assert GANConfig(num_classes=12).num_classes == 12
    for bad in ({"num_classes": 10_000_000}, {"num_classes": -5}, {"latent_dim": 0}, {"base_channels": 10**6},
                {"g_channels": [64, 32, 10**7]}, {"embed_dim": "32"}, {"resolution": True}):
        with pytest.raises(ValueError, match="GAN architecture"):
            GANConfig.from_dict({"num_classes": 12, **bad})
