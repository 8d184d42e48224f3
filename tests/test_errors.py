"""The user-facing error hierarchy in voxstudio.core.errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from voxstudio.core import errors

# (class, the builtin it has always derived from, its old import location)
CASES = [
    (errors.VoxelFileError, ValueError, None),
    (errors.WeightsError, RuntimeError, "voxstudio.models.weights"),
    (errors.DeviceError, ValueError, "voxstudio.models.device"),
    (errors.CheckpointError, RuntimeError, "voxstudio.training.checkpoint"),
    (errors.TrainingError, RuntimeError, "voxstudio.training.loop"),
    (errors.SelfTestError, RuntimeError, "voxstudio.selftest"),
    (errors.IncompleteWeightsError, RuntimeError, "voxstudio.selftest"),
]


@pytest.mark.parametrize(("cls", "builtin", "old_home"), CASES, ids=[c[0].__name__ for c in CASES])
def test_each_error_is_a_voxstudio_error_and_keeps_its_builtin(cls: type, builtin: type, old_home: str | None) -> None:
    assert issubclass(cls, errors.VoxStudioError)
    assert issubclass(cls, builtin)
    if old_home is not None:
        module = __import__(old_home, fromlist=[cls.__name__])
        assert getattr(module, cls.__name__) is cls


def test_weights_and_voxel_file_errors_are_distinct_types() -> None:
    assert not issubclass(errors.WeightsError, errors.VoxelFileError)
    assert not issubclass(errors.VoxelFileError, errors.WeightsError)
    assert issubclass(errors.IncompleteWeightsError, errors.SelfTestError)


@pytest.mark.parametrize("cls", [errors.VoxelFileError, errors.WeightsError])
def test_file_errors_name_the_file(cls: type[errors.FileError]) -> None:
    error = cls(Path("some") / "file.bin", "is truncated")
    assert str(error) == f"{Path('some') / 'file.bin'}: is truncated"
    assert error.path == Path("some/file.bin")
    assert error.problem == "is truncated"
    anonymous = cls(None, "empty stream")
    assert str(anonymous) == "empty stream"
    assert anonymous.path is None


def test_catching_the_base_catches_a_loader_error(tmp_path: Path) -> None:
    from voxstudio.core.io.registry import load_voxels

    bad = tmp_path / "broken.binvox"
    bad.write_bytes(b"not a binvox file")
    with pytest.raises(errors.VoxStudioError) as caught:
        load_voxels(bad)
    assert isinstance(caught.value, errors.VoxelFileError)
    assert str(bad) in str(caught.value)
