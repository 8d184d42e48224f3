"""Load torch's large native library on a helper thread, outside the GIL, while the window is built.

Why: ``import torch`` spends ~0.23 s (of ~1 s) in the dynamic loader mapping and
relocating ``libtorch_cpu.so`` (~430 MB) and running its C++ static initialisers,
which register the operators. Python's import machinery calls ``dlopen`` holding
the GIL, so on the worker that time also stalls the GUI thread and the helper
thread importing pyvista: the start-up's imports are GIL-serialised (see
docs/lean_and_fast.md, "Start-up"). A ctypes foreign call releases the GIL, so
calling libc's ``dlopen`` through ctypes does the same work on the second core
while Python code runs. The later ``import torch`` then finds the library already
loaded (the dynamic loader keeps one copy per file and only counts references).

Nothing of torch is imported here and nothing depends on the preload: when the
library is not where a pip-installed torch (or the PyInstaller bundle) keeps it,
or the platform is not Linux, this does nothing and ``import torch`` loads it as
before. The flags are those of the normal path (``RTLD_NOW | RTLD_LOCAL``, the
way the library is pulled in as a dependency of ``torch._C``), so symbol scopes
are unchanged. ``libtorch_cpu`` does not link Python, so its initialisers never
need the GIL (no deadlock with the thread that holds it).

The dynamic loader has one lock: while the preload runs, any other ``dlopen``
(or ``dlsym``) in the process waits for it -- and a Python import waiting there
holds the GIL. So ``app.launch`` starts the preload only once Qt's platform plugin
is loaded, and the worker's ``import torch`` and the 3D view's imports wait for it
to finish (a thread join, which releases the GIL) instead of starting beside it.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import sys
import threading
from pathlib import Path

#: torch's C++ core: the one library whose loading costs noticeable time (its
#: dependencies -- libc10, libgomp -- are found through its RUNPATH and come with it).
TORCH_LIBRARIES = ("libtorch_cpu.so",)


def torch_library_paths() -> list[Path]:
    """Where torch keeps :data:`TORCH_LIBRARIES` (``<torch package>/lib``), those that exist.

    Uses the import system's spec for ``torch`` (which does not run torch's
    ``__init__``); empty when torch is not installed or not laid out this way.
    """
    try:
        spec = importlib.util.find_spec("torch")
    except (ImportError, ValueError):
        return []
    if spec is None or not spec.submodule_search_locations:
        return []
    folders = [Path(location) / "lib" for location in spec.submodule_search_locations]
    return [folder / name for folder in folders for name in TORCH_LIBRARIES if (folder / name).is_file()]


def _dlopen_without_gil(path: Path) -> bool:
    """``dlopen(path, RTLD_NOW | RTLD_LOCAL)`` through ctypes (which drops the GIL for the call)."""
    libc = ctypes.CDLL(None)  # the process's own symbols: libc's dlopen
    dlopen = libc.dlopen
    dlopen.restype = ctypes.c_void_p
    dlopen.argtypes = [ctypes.c_char_p, ctypes.c_int]
    return bool(dlopen(os.fsencode(path), os.RTLD_NOW | os.RTLD_LOCAL))


def preload_torch_libraries() -> list[Path]:
    """Load :func:`torch_library_paths` now (blocking); the ones that loaded."""
    if not sys.platform.startswith("linux") or "torch" in sys.modules:
        return []
    loaded = []
    for path in torch_library_paths():
        try:
            if _dlopen_without_gil(path):
                loaded.append(path)
        except (OSError, AttributeError):  # no dlopen symbol (not glibc / musl layout): nothing to gain
            break
    return loaded


def passive_openmp_waits() -> bool:
    """Let idle OpenMP threads sleep instead of spinning (``OMP_WAIT_POLICY=PASSIVE``), unless set.

    torch's OpenMP runtime (libgomp) reads the variable once, when it is loaded --
    by the preload or by ``import torch`` -- so this must run before either. Measured
    on 2 cores: while the worker built and loaded the networks, the spare OpenMP
    thread spun ~0.26 s of CPU after each parallel region, taking the core the GUI
    thread and the 3D view's import needed. Inference keeps its thread count (all
    cores but one, ``worker.torch_threads``); only the waiting between regions changes.
    Returns whether this call set it (False: the user's own setting is kept).
    """
    if "OMP_WAIT_POLICY" in os.environ:
        return False
    os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    return True


def start_torch_preload() -> threading.Thread:
    """Run :func:`preload_torch_libraries` on a daemon thread (returned, already started)."""
    thread = threading.Thread(target=preload_torch_libraries, name="voxstudio-preload-torch", daemon=True)
    thread.start()
    return thread
