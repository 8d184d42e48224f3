"""Deferred imports: pyvista's unused ``matplotlib.pyplot`` runs only when something uses it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from voxstudio.gui.deferred_imports import defer, is_loaded


def test_the_rendering_stack_imports_without_running_pyplot_which_still_works_when_used() -> None:
    code = (
        "import sys\n"
        "import PySide6.QtWidgets\n"  # as in the app: PySide6's import hook is installed first
        "from voxstudio.gui.viewport import preload_rendering\n"
        "from voxstudio.gui.deferred_imports import defer_unused_rendering_imports, is_loaded\n"
        "assert defer_unused_rendering_imports() == ['matplotlib.pyplot']\n"
        "assert 'matplotlib' not in sys.modules\n"  # cheap: the parent package is not imported
        "preload_rendering()\n"  # as app.launch does: deferred first, then the 3D view's imports
        "import pyvista as pv\n"
        "table = pv.LookupTable('viridis')\n"
        "print('pyvistaqt' in sys.modules, is_loaded('matplotlib.pyplot'), 'matplotlib.figure' in sys.modules)\n"
        "import matplotlib\n"
        "import matplotlib.pyplot as plt\n"
        "figure = plt.figure()\n"
        "print(type(figure).__name__, matplotlib.pyplot is plt is sys.modules['matplotlib.pyplot'],"
        " is_loaded('matplotlib.pyplot'))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180, check=True,
                          env={**__import__("os").environ, "MPLBACKEND": "Agg"})
    assert done.stdout.splitlines() == ["True False False", "Figure True True"], done.stdout + done.stderr[-2000:]


def test_defer_leaves_imported_and_missing_modules_alone() -> None:
    import json  # noqa: F401 - imported: nothing to defer

    assert defer("json") is False
    assert defer("voxstudio_no_such_module") is False


def test_a_deferred_module_that_fails_raises_at_each_use(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "voxstudio_broken_mod.py").write_text("VALUE = 1\nraise RuntimeError('broken on import')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "voxstudio_broken_mod", raising=False)
    assert defer("voxstudio_broken_mod") is True
    module = sys.modules["voxstudio_broken_mod"]
    assert not is_loaded("voxstudio_broken_mod")
    for _ in range(2):
        with pytest.raises(RuntimeError, match="broken on import"):
            _ = module.VALUE
    monkeypatch.delitem(sys.modules, "voxstudio_broken_mod")


def test_a_deferred_module_runs_once_on_first_use(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``import package.module as name`` (how pyvista imports pyplot) binds it without running it."""
    package = tmp_path / "voxstudio_counted_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "mod.py").write_text(
        "import builtins\nbuiltins.voxstudio_runs = getattr(builtins, 'voxstudio_runs', 0) + 1\nVALUE = 42\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    import builtins

    monkeypatch.setattr(builtins, "voxstudio_runs", 0, raising=False)
    assert defer("voxstudio_counted_pkg.mod") is True
    import voxstudio_counted_pkg.mod as mod  # type: ignore[import-not-found]

    assert builtins.voxstudio_runs == 0 and not is_loaded("voxstudio_counted_pkg.mod")  # type: ignore[attr-defined]
    assert mod.VALUE == 42 and mod.VALUE == 42
    assert builtins.voxstudio_runs == 1 and is_loaded("voxstudio_counted_pkg.mod")  # type: ignore[attr-defined]
    monkeypatch.delitem(sys.modules, "voxstudio_counted_pkg.mod")
    monkeypatch.delitem(sys.modules, "voxstudio_counted_pkg")
