"""The format table of voxstudio.core.io.registry: one entry per format module, merged in one place."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from voxstudio.core.errors import VoxelFileError
from voxstudio.core.io import binvox, meshes, npy, registry, vox


def test_extension_lists_are_the_tables_keys() -> None:
    assert registry.VOXEL_EXTENSIONS == (".binvox", ".vox", ".npy")
    assert registry.MESH_EXTENSIONS == (".off", ".obj", ".stl", ".ply", ".glb", ".gltf")
    assert set(registry.VOXEL_SAVERS) == set(registry.VOXEL_LOADERS)
    for module in (binvox, vox, npy):
        for suffix, load in module.voxel_loaders.items():
            assert registry.VOXEL_LOADERS[suffix] is load
    assert all(registry.MESH_LOADERS[s] is meshes.load_mesh for s in registry.MESH_EXTENSIONS)


@pytest.mark.parametrize("suffix", registry.VOXEL_EXTENSIONS)
def test_every_voxel_format_round_trips_through_the_table(tmp_path: Path, suffix: str) -> None:
    grid = np.zeros((6, 6, 6), bool)
    grid[1:4, 2:5, 0:3] = True
    grid[5, 5, 5] = True
    path = tmp_path / f"shape{suffix.upper()}"  # extensions match case-insensitively
    registry.save_voxels(path, grid)
    assert np.array_equal(registry.read_voxel_file(path), grid)


def test_unknown_extensions_name_the_supported_ones(tmp_path: Path) -> None:
    with pytest.raises(VoxelFileError, match=r"cannot save voxels as '\.txt'; use \.binvox, \.vox, \.npy"):
        registry.save_voxels(tmp_path / "a.txt", np.ones((2, 2, 2), bool))
    with pytest.raises(VoxelFileError, match=r"not a voxel file type \(\.binvox, \.vox, \.npy\)"):
        registry.read_voxel_file(tmp_path / "a.stl")
    with pytest.raises(VoxelFileError, match="not a mesh file type"):
        registry.voxelise_mesh_file(tmp_path / "a.npy", 8, registry.Z_UP)
    with pytest.raises(VoxelFileError, match=r"unsupported file type '\.txt'; supported: \.binvox"):
        registry.load_voxels(tmp_path / "a.txt")
