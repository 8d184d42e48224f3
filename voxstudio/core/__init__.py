"""Qt-free core: voxel grids, file I/O, meshing and export.

Everything under ``voxstudio.core`` must stay importable without Qt so that the CLI,
tests, notebooks and the training code can use it.
"""
