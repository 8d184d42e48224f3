"""A module pyvista imports when it is imported but the app never uses: its code runs on first use.

Why: ``import pyvista`` executes ``import matplotlib.pyplot`` (``plotting/colors.py``
and ``plotting/charts.py``: ``rcParams`` for a colour cycler, 2D charts). The
viewport uses neither, but executing pyplot costs ~0.12 s of CPU during start-up,
where every import is serialised by the GIL with torch's on the worker
(docs/lean_and_fast.md, "Start-up"). matplotlib itself (colormaps) and its Agg
backend, which pyvista's charts import directly, are still imported as before.

How: :func:`defer` puts a module object for the name in ``sys.modules`` whose code
has not run; the first access to an attribute it does not have yet runs the
module's code into it (once, under a lock), so every later use -- by pyvista or
anyone else -- sees the real module. ``app.launch`` defers it before anything imports
pyvista; nothing of pyvista is patched. Unlike
``importlib.util.LazyLoader``, the module's spec and name can be read without
loading it, which the import statement does for a module already in
``sys.modules`` (so ``import matplotlib.pyplot`` in a second pyvista module does
not load it either).

Not deferred: ``pooch`` (pyvista's example downloads, ~0.07 s): PySide6's import
hook reads every newly imported module's source (looking for "PySide6") through
``inspect``, which probes the module's attributes and so would load it at once.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
import threading
import types
from typing import Any, cast

#: What ``import pyvista`` / ``pyvistaqt`` pulls in that the viewport never uses.
UNUSED_BY_THE_VIEWPORT = ("matplotlib.pyplot",)


class DeferredModule(types.ModuleType):
    """A module whose code runs on the first access to a missing attribute (then a plain module)."""

    def __getattr__(self, name: str) -> object:
        # Only called for attributes not found normally: the module's own names appear once it ran.
        lock: threading.RLock = self.__dict__["_voxstudio_deferred_lock"]
        with lock:
            if type(self) is DeferredModule:
                before = dict(self.__dict__)
                self.__class__ = cast(Any, types.ModuleType)  # from now on a plain module (no recursion while running)
                spec = self.__spec__
                assert spec is not None and spec.loader is not None
                try:
                    spec.loader.exec_module(self)
                except BaseException:  # as it was: the next use runs the code again and sees the error again
                    self.__dict__.clear()
                    self.__dict__.update(before)
                    self.__class__ = DeferredModule
                    raise
                _bind_to_parent(self)
        return object.__getattribute__(self, name)


def _find_spec(name: str) -> importlib.machinery.ModuleSpec | None:
    """``name``'s spec without importing its parent package (a top-level parent, as here)."""
    parent, _, _child = name.rpartition(".")
    if not parent or parent in sys.modules or "." in parent:
        return importlib.util.find_spec(name)  # imports the parent if needed
    parent_spec = importlib.util.find_spec(parent)  # top-level: found, not run
    if parent_spec is None or not parent_spec.submodule_search_locations:
        return None
    path = list(parent_spec.submodule_search_locations)
    for finder in sys.meta_path:  # as the import system does (the bundle's own finder included)
        find_spec = getattr(finder, "find_spec", None)
        spec = find_spec(name, path) if find_spec is not None else None
        if spec is not None:
            return spec
    return None


def _bind_to_parent(module: types.ModuleType) -> None:
    """``parent.child = module``, as an import does, once the parent package is imported."""
    parent, _, child = module.__name__.rpartition(".")
    if parent and parent in sys.modules:
        setattr(sys.modules[parent], child, module)


def defer(name: str) -> bool:
    """Register ``name`` to be run on first use; False if already imported or not installed.

    Cheap (a few file-system look-ups; the parent package is not imported), so the GUI
    thread can call it before anything imports the module.
    """
    if name in sys.modules:
        return False
    try:
        spec = _find_spec(name)
    except (ImportError, ValueError):
        return False
    if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
        return False
    module = importlib.util.module_from_spec(spec)
    module.__dict__["_voxstudio_deferred_lock"] = threading.RLock()
    module.__class__ = DeferredModule
    sys.modules[name] = module
    _bind_to_parent(module)  # an ``import parent.child as x`` also finds it in sys.modules
    return True


def defer_unused_rendering_imports() -> list[str]:
    """:func:`defer` each of :data:`UNUSED_BY_THE_VIEWPORT`; the names deferred now."""
    return [name for name in UNUSED_BY_THE_VIEWPORT if defer(name)]


def is_loaded(name: str) -> bool:
    """Whether ``name`` has been imported and its code has run (not merely deferred)."""
    module = sys.modules.get(name)
    return module is not None and type(module) is not DeferredModule
