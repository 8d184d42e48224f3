"""Voxel and mesh file I/O. Use :func:`load_voxels` / :func:`save_voxels`.

Format modules (``binvox``, ``vox``, ``npy``, ``meshes``) expose the lower-level
readers and writers (metadata, palettes); every one raises
:class:`~voxstudio.core.errors.VoxelFileError` for bad input.
"""

from voxstudio.core.io.registry import MESH_EXTENSIONS, VOXEL_EXTENSIONS, load_voxels, save_voxels

__all__ = ["load_voxels", "save_voxels", "VOXEL_EXTENSIONS", "MESH_EXTENSIONS"]
