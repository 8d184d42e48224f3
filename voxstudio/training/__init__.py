"""Training (torch, Qt-free): the generic fit() loop, model tasks, metrics and evaluation.

Import submodules directly (``from voxstudio.training.loop import fit``); this
package imports nothing so that ``voxstudio --help`` stays fast.
"""
