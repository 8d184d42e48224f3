"""Optional clean-up of generated shapes: keep the main piece, fill pinholes.

A generated grid thresholded at 0.5 can carry small floating fragments (a voxel
cloud next to a leg, a detached knob) and one-voxel holes. ``clean_fragments``
removes both. It is an *opt-in* post-process for the GUI (View > Clean up
fragments, which exports then follow) and ``voxstudio generate --clean``: every
metric in the model card is measured on raw samples. numpy / scipy only, so it
lives in the core beside ``largest_component`` (the export's "keep the main piece").
"""

from __future__ import annotations

import numpy as np

from voxstudio.core.grid import largest_component

#: Enclosed empty pockets up to this many voxels count as pinholes and are filled.
PINHOLE_MAX_VOXELS = 8


def fill_pinholes(occupancy: np.ndarray, max_voxels: int = PINHOLE_MAX_VOXELS) -> np.ndarray:
    """Fill enclosed empty pockets of at most ``max_voxels`` voxels.

    Empty space is split into 6-connected regions; a region that does not touch
    the grid's border and is that small is a pinhole. Larger cavities (the inside
    of a closed box) are left alone.
    """
    from scipy import ndimage  # here, not at import: the GUI imports this module at start-up (~0.3 s)

    occ = np.asarray(occupancy, dtype=bool)
    labels, count = ndimage.label(~occ)
    if count == 0:
        return occ.copy()
    sizes = np.bincount(labels.ravel(), minlength=count + 1)
    border = np.unique(np.concatenate([
        labels[0].ravel(), labels[-1].ravel(), labels[:, 0].ravel(), labels[:, -1].ravel(),
        labels[:, :, 0].ravel(), labels[:, :, -1].ravel(),
    ]))
    small = sizes <= max_voxels
    small[0] = False
    small[border] = False
    return occ | small[labels]


def clean_fragments(grid: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """Probabilities or booleans -> boolean grid: main piece only, pinholes filled."""
    arr = np.asarray(grid)
    occ = arr if arr.dtype == np.bool_ else arr > threshold
    return fill_pinholes(largest_component(occ))
