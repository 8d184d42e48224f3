"""Record which VTK extension modules VoxStudio imports, into packaging/vtk_modules.txt.

pyvista imports many VTK modules lazily, so the bundle cannot rely on static
analysis to know which of VTK's ~200 modules (550 MB) are really needed. This
script runs the app's real code paths from source -- the GUI (opened, rendered,
screenshotted, closed), the headless self-test and a pyvistaqt scene using the
viewport features the GUI relies on -- and writes the union of the
``vtkmodules.vtk*`` modules they imported. ``slim.py`` keeps those (plus a few
listed there) and excludes the rest. Re-run it when the GUI starts using new
pyvista features; the bundled GUI screenshot test catches a missing module.

Run under a display: ``xvfb-run -a python3 packaging/record_vtk_modules.py``
(add ``--random-weights`` before the shipped weights exist).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = Path(__file__).resolve().parent / "vtk_modules.txt"

# Runs a target script like ``python script args`` and dumps sys.modules at exit.
_WRAPPER = """
import atexit, json, runpy, sys
dump, script, *args = sys.argv[1:]
atexit.register(lambda: open(dump, "w").write(json.dumps(sorted(sys.modules))))
sys.argv = [script, *args]
runpy.run_path(script, run_name="__main__")
"""

# Viewport features the GUI uses that a short GUI run may not reach.
_SCENE = """
import numpy as np, pyvista as pv, pyvistaqt
from PySide6 import QtWidgets
app = QtWidgets.QApplication([])
plotter = pyvistaqt.QtInteractor()
grid = np.zeros((8, 8, 8), bool); grid[2:6, 2:6, 0:5] = True
image = pv.ImageData(dimensions=(9, 9, 9)); image.cell_data["v"] = grid.ravel(order="F").astype(float)
plotter.add_mesh(image.threshold(0.5).extract_surface(), color="tan", show_edges=True, smooth_shading=True)
plotter.add_mesh(pv.Sphere(), opacity=0.4, scalars=np.arange(pv.Sphere().n_points), cmap="viridis")
plotter.show_grid(); plotter.add_axes(); plotter.add_text("probe"); plotter.reset_camera()
plotter.render(); plotter.screenshot(None, return_img=True); plotter.close()
"""


def _modules_of(command: list[str], env: dict[str, str]) -> set[str]:
    """Modules imported by ``python <command>`` (run in a child process)."""
    with tempfile.TemporaryDirectory() as tmp:
        dump = Path(tmp) / "modules.json"
        result = subprocess.run(
            [sys.executable, "-c", _WRAPPER, str(dump), *command],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
        )
        if result.returncode != 0 or not dump.exists():
            raise SystemExit(f"record_vtk_modules: {' '.join(command)} failed:\n{result.stderr[-3000:]}")
        return set(json.loads(dump.read_text()))


def main() -> int:
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "xcb")}
    with tempfile.TemporaryDirectory() as tmp:
        scene = Path(tmp) / "scene.py"
        scene.write_text(_SCENE)
        random = "--random-weights" in sys.argv[1:]
        sample = ROOT / "resources" / "samples" / "chair.binvox"
        runs = {
            "gui": ["main.py", "--screenshot", str(Path(tmp) / "gui.png"), *(["--random-init"] if random else [])],
            "gui+file": ["main.py", str(sample), "--screenshot", str(Path(tmp) / "file.png"),
                         *(["--random-init"] if random else [])],
            "self-test": ["main.py", "--self-test", *(["--random-weights"] if random else [])],
            "scene": [str(scene)],
        }
        found: set[str] = set()
        for label, command in runs.items():
            names = {m.split(".")[1] for m in _modules_of(command, env) if m.startswith("vtkmodules.vtk")}
            print(f"{label}: {len(names)} VTK modules")
            found |= names
    header = (
        "# VTK extension modules imported by VoxStudio at run time.\n"
        "# Written by packaging/record_vtk_modules.py; read by packaging/slim.py.\n"
    )
    OUTPUT.write_text(header + "".join(f"{name}\n" for name in sorted(found)), encoding="utf-8")
    print(f"wrote {len(found)} modules to {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
