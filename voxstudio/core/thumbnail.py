"""Small shaded pictures of voxel grids in pure numpy, safe on any thread.

Why not ``core/render.py`` (pyvista / VTK offscreen): a gallery renders a dozen
thumbnails while the window keeps drawing its own 3D view. VTK render windows
are tied to an OpenGL context and the X connection of the thread that made
them, so offscreen VTK on a worker thread beside the Qt viewport is not
guaranteed to be safe; it is also slow for thumbnails (measured on the 2-core
CPU under Xvfb: ~75 ms a 128-px picture on the main thread after a ~1 s first
window, ~134 ms on a worker thread beside the window). This renderer splats the
voxel faces the camera can see into a z-buffer with numpy (~11-14 ms for a GAN
chair at 120 px, up to ~40 ms for a bulky shape), needs no display, holds no
global state and so can run in a thread pool.

The picture matches the app's view: camera front-left-above (``render.py``'s
``CAMERA_DIRECTION``, front is -y, z up), orthographic, framing the whole grid
cube so every shape is drawn at the same scale, coloured by height (viridis) and
shaded per face direction, with a faint line where voxels meet.
"""

from __future__ import annotations

import numpy as np

__all__ = ["BACKGROUND_RGB", "render_thumbnail"]

#: The camera looks from the object's centre towards the front-left-above (as ``render.py``).
CAMERA_DIRECTION = np.array([-1.0, -1.6, 1.1])
BACKGROUND_RGB = (255, 255, 255)
#: Brightness of the three face directions the camera sees: top (+z), front (-y), left (-x).
FACE_SHADE = {"top": 1.0, "front": 0.82, "left": 0.64}
#: Darkening of a face's border (the line where neighbouring voxels meet).
EDGE_SHADE = 0.82
EDGE_WIDTH = 0.08  # in voxel units
#: Viridis (matplotlib's, sampled at 9 points): the viewport's "colour by height" map.
_VIRIDIS = np.array([
    [68, 1, 84], [71, 45, 123], [59, 82, 139], [44, 114, 142], [33, 145, 140],
    [39, 173, 129], [92, 200, 99], [170, 220, 50], [253, 231, 37],
], dtype=np.float32)
MAX_SIZE = 1024
MAX_GRID_SIDE = 256


def render_thumbnail(grid: np.ndarray, size: int = 128, threshold: float = 0.5,
                     colour: tuple[int, int, int] | None = None) -> np.ndarray:
    """An RGB picture ``(size, size, 3)`` uint8 of ``grid`` (boolean, or probabilities cut at ``threshold``).

    ``colour`` (RGB) paints every voxel one colour instead of by height. An empty
    grid gives a blank picture. Deterministic: the same grid gives the same pixels.
    """
    array = np.asarray(grid)
    if array.ndim != 3 or min(array.shape) < 1:
        raise ValueError(f"expected a 3-D voxel grid, got shape {array.shape}")
    if max(array.shape) > MAX_GRID_SIDE:
        raise ValueError(f"grid side {max(array.shape)} is over the thumbnail limit {MAX_GRID_SIDE}")
    if not 8 <= int(size) <= MAX_SIZE:
        raise ValueError(f"thumbnail size must be 8..{MAX_SIZE} pixels, got {size}")
    size = int(size)
    occ = array if array.dtype == bool else array >= threshold
    image = np.empty((size, size, 3), np.uint8)
    image[:] = BACKGROUND_RGB
    if not occ.any():
        return image
    side = float(max(occ.shape))
    right, up, towards = _camera_basis()
    # The grid cube's eight corners fix the scale: every shape is framed alike.
    corners = np.array([[x, y, z] for x in (0, side) for y in (0, side) for z in (0, side)])
    centre = np.full(3, side / 2.0)
    extent = max(np.abs((corners - centre) @ right).max(), np.abs((corners - centre) @ up).max())
    scale = (size / 2.0 - 1.0) / extent  # pixels per voxel
    samples = max(2, int(np.ceil(scale * 1.6)) + 1)  # per face edge: denser than the pixels, so no holes

    points, shades, heights, on_edge = [], [], [], []
    padded = np.pad(occ, 1)
    inner = padded[1:-1, 1:-1, 1:-1]
    faces = (  # (name, exposed voxels, face origin offset, the face's two in-plane axes)
        ("top", inner & ~padded[1:-1, 1:-1, 2:], (0.0, 0.0, 1.0), (0, 1)),
        ("front", inner & ~padded[1:-1, :-2, 1:-1], (0.0, 0.0, 0.0), (0, 2)),
        ("left", inner & ~padded[:-2, 1:-1, 1:-1], (0.0, 0.0, 0.0), (1, 2)),
    )
    steps = (np.arange(samples, dtype=np.float32) + 0.5) / samples
    su, sv = (a.ravel() for a in np.meshgrid(steps, steps, indexing="ij"))
    edge = (np.minimum(np.minimum(su, 1 - su), np.minimum(sv, 1 - sv)) < EDGE_WIDTH)
    for name, exposed, offset, (axis_u, axis_v) in faces:
        voxels = np.argwhere(exposed).astype(np.float32)
        if not len(voxels):
            continue
        local = np.zeros((len(su), 3), np.float32)
        local[:, axis_u] = su
        local[:, axis_v] = sv
        pts = (voxels[:, None, :] + np.asarray(offset, np.float32) + local[None, :, :]).reshape(-1, 3)
        points.append(pts)
        shades.append(np.full(len(pts), FACE_SHADE[name], np.float32))
        heights.append(np.repeat(voxels[:, 2] + 0.5, len(su)))
        on_edge.append(np.tile(edge, len(voxels)))
    pts = np.concatenate(points) - centre
    px = np.floor(size / 2.0 + (pts @ right) * scale).astype(np.int64)
    py = np.floor(size / 2.0 - (pts @ up) * scale).astype(np.int64)
    depth = -(pts @ towards)  # smaller = nearer the camera
    inside = (px >= 0) & (px < size) & (py >= 0) & (py < size)
    pixel = (py * size + px)[inside]
    depth = depth[inside]
    # z-buffer: for each pixel keep its nearest sample (sort by pixel, then depth).
    order = np.lexsort((depth, pixel))
    first = np.unique(pixel[order], return_index=True)[1]
    keep = np.flatnonzero(inside)[order[first]]
    shade = np.concatenate(shades)[keep] * np.where(np.concatenate(on_edge)[keep], EDGE_SHADE, 1.0)
    if colour is None:
        rgb = _viridis(np.concatenate(heights)[keep] / side)
    else:
        rgb = np.broadcast_to(np.asarray(colour, np.float32), (len(keep), 3))
    flat = image.reshape(-1, 3)
    flat[pixel[order[first]]] = np.clip(rgb * shade[:, None], 0, 255).astype(np.uint8)
    return image


def _camera_basis() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Screen right, screen up and the unit vector towards the camera (z stays up on screen)."""
    towards = CAMERA_DIRECTION / np.linalg.norm(CAMERA_DIRECTION)
    right = np.cross(np.array([0.0, 0.0, 1.0]), towards)
    right /= np.linalg.norm(right)
    up = np.cross(towards, right)
    return right, up, towards


def _viridis(values: np.ndarray) -> np.ndarray:
    """RGB float32 ``(N, 3)`` for values in [0, 1] (linear between the table's points)."""
    position = np.clip(values, 0.0, 1.0) * (len(_VIRIDIS) - 1)
    low = np.minimum(position.astype(np.int64), len(_VIRIDIS) - 2)
    frac = (position - low)[:, None].astype(np.float32)
    return _VIRIDIS[low] * (1 - frac) + _VIRIDIS[low + 1] * frac
