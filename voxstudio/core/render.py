"""Offscreen pictures of voxel grids (pyvista / VTK), for ``view --screenshot``,
tests and anyone who wants to look at a shape without a GUI.

The camera looks from the front-left and above (front is -y, z is up), the view
most furniture catalogues use, so chairs and tables read at a glance. Works
without a display where VTK can render offscreen (OSMesa / EGL builds); otherwise
run under ``xvfb-run -a``.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, cast

import numpy as np

from voxstudio.core.atomic import atomic_write
from voxstudio.core.errors import VoxelFileError
from voxstudio.core.export import Surface, grid_to_mesh

if TYPE_CHECKING:  # pragma: no cover
    import pyvista

__all__ = ["render_grid_png", "render_grid_image", "add_grid_to_plotter", "set_default_camera"]

BASE_COLOR = "#c8a47e"
HEIGHT_CMAP = "viridis"
BACKGROUND = "white"
# Camera direction from the object's centre: left (-x), front (-y), above (+z).
CAMERA_DIRECTION = np.array([-1.0, -1.6, 1.1])


def add_grid_to_plotter(
    plotter: pyvista.Plotter,
    grid: np.ndarray,
    surface: str = "blocky",
    color_by_height: bool = True,
    threshold: float = 0.5,
    **mesh_kwargs,
):
    """Add a grid's mesh to a plotter (shared by the GUI viewport and screenshots).

    Returns the VTK actor, or ``None`` for an empty grid.
    """
    mesh = grid_to_mesh(grid, cast("Surface", surface), threshold)  # grid_to_mesh rejects other names
    if mesh.is_empty:
        return None
    polydata = mesh.to_polydata()
    options = dict(smooth_shading=(surface == "smooth"), show_edges=False, **mesh_kwargs)
    if color_by_height:
        polydata["height"] = polydata.points[:, 2]
        return plotter.add_mesh(polydata, scalars="height", cmap=HEIGHT_CMAP, show_scalar_bar=False, **options)
    return plotter.add_mesh(polydata, color=BASE_COLOR, **options)


def set_default_camera(plotter: pyvista.Plotter, size: float) -> None:
    """Front-left-above camera framing the whole grid cube ``[0, size]^3``, z up.

    Framing the cube rather than the object keeps every shape at the same scale.
    """
    centre = np.full(3, size / 2.0)
    direction = CAMERA_DIRECTION / np.linalg.norm(CAMERA_DIRECTION)
    plotter.camera_position = [tuple(centre + direction * size * 3.0), tuple(centre), (0.0, 0.0, 1.0)]
    plotter.reset_camera(bounds=(0.0, size, 0.0, size, 0.0, size))
    plotter.camera.zoom(1.1)
    plotter.reset_camera_clipping_range()


@contextlib.contextmanager
def _quiet_headless_vtk() -> Iterator[None]:
    """Without a display VTK warns "bad X server connection" before falling back to
    EGL/OSMesa; hide that (warnings only, errors still show) while we render."""
    headless = sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    if not headless:
        yield
        return
    from vtkmodules.vtkCommonCore import vtkLogger

    vtkLogger.SetStderrVerbosity(vtkLogger.VERBOSITY_ERROR)
    try:
        yield
    finally:
        vtkLogger.SetStderrVerbosity(vtkLogger.VERBOSITY_INFO)


def render_grid_image(
    grid: np.ndarray,
    surface: str = "blocky",
    window_size: tuple[int, int] = (800, 600),
    color_by_height: bool = True,
    threshold: float = 0.5,
) -> np.ndarray:
    """Render a grid offscreen and return the RGB image ``(H, W, 3)`` uint8."""
    import pyvista

    array = np.asarray(grid)
    with _quiet_headless_vtk():
        plotter = pyvista.Plotter(off_screen=True, window_size=list(window_size))
        try:
            plotter.set_background(BACKGROUND)
            add_grid_to_plotter(plotter, array, surface, color_by_height, threshold)
            plotter.add_mesh(_ground_outline(max(array.shape)), color="#b0b0b0", line_width=1)
            set_default_camera(plotter, max(array.shape))
            image = plotter.screenshot(return_img=True)
        finally:
            plotter.close()
    return np.asarray(image)[..., :3].copy()


def _ground_outline(size: int):
    """Square outline of the grid's ground plane (z = 0), so 'down' is visible."""
    import pyvista

    s = float(size)
    points = np.array([[0, 0, 0], [s, 0, 0], [s, s, 0], [0, s, 0]], dtype=np.float32)
    lines = np.array([5, 0, 1, 2, 3, 0])
    return pyvista.PolyData(points, lines=lines)


def render_grid_png(
    grid: np.ndarray,
    path: str | Path,
    surface: str = "blocky",
    window_size: tuple[int, int] = (800, 600),
    color_by_height: bool = True,
) -> Path:
    """Render a grid offscreen to a PNG file (written atomically); returns the path."""
    from PIL import Image

    path = Path(path)
    image = render_grid_image(grid, surface, window_size, color_by_height)
    try:
        with atomic_write(path) as handle:
            Image.fromarray(image).save(handle, format="PNG")
    except OSError as error:
        raise VoxelFileError(path, f"cannot write image ({error.strerror or error})") from None
    return path
