"""Per-shape attributes of procedural furniture: what the named sliders are fitted to.

The class generators record what they chose (``Builder.record``: seat height,
backrest, armrests, drawers, ...) in metres, counts, 0/1 flags or degrees.
Here those become one table per data set, in the units a user sees in the grid:
lengths in **voxels** of the framed ``R^3`` grid (the shape's longest side spans
``R - 2``), counts, flags and angles unchanged; ``height`` / ``width`` / ``depth``
are the framed bounding box (z / x / y extents, voxels). An attribute that does
not apply to a shape (leg thickness of an office chair) is NaN.

Stored next to a data set's splits as ``attributes_<split>.npz`` (``names``: the
columns, ``values``: float32 ``(N, A)`` in the split's row order). Older data sets
have no such file: :func:`load_attributes` then returns None and the grids load
as before.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voxstudio.core.atomic import atomic_write

__all__ = [
    "ATTRIBUTES", "CLASS_ATTRIBUTES", "AttributeSpec", "AttributeTable", "attribute_columns",
    "class_attribute_table", "load_attributes", "measure_extents", "save_attributes", "shape_attributes",
    "write_procedural_attributes",
]

#: Largest attribute file read (a table of a million shapes x 60 columns is ~240 MB).
MAX_ATTRIBUTE_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class AttributeSpec:
    """One attribute: its unit kind and the words a slider uses for it."""

    name: str
    label: str  # slider name, e.g. "Seat height"
    kind: str  # "length" (metres recorded, voxels stored) | "voxels" | "count" | "flag" | "angle"
    more: str  # what the + end does, e.g. "higher seat"
    less: str  # what the - end does

    def tooltip(self) -> str:
        return f"{self.label}: right for {self.more}, left for {self.less}."


def _spec(name: str, label: str, kind: str, more: str, less: str) -> AttributeSpec:
    return AttributeSpec(name, label, kind, more, less)


_ALL = [
    _spec("height", "Height", "voxels", "a taller shape", "a lower shape"),
    _spec("width", "Width", "voxels", "a wider shape (side to side)", "a narrower shape"),
    _spec("depth", "Depth", "voxels", "a deeper shape (front to back)", "a shallower shape"),
    _spec("seat_height", "Seat height", "length", "a higher seat", "a lower seat"),
    _spec("seat_thickness", "Padding", "length", "a thicker, padded seat", "a thin seat"),
    _spec("backrest", "Backrest", "length", "a taller backrest", "a shorter backrest"),
    _spec("back_tilt", "Back tilt", "angle", "a backrest leaning further back", "an upright backrest"),
    _spec("armrests", "Armrests", "flag", "armrests", "no armrests"),
    _spec("arm_height", "Arm height", "length", "higher armrests", "lower armrests"),
    _spec("arm_width", "Arm width", "length", "wider arms", "slimmer arms"),
    _spec("legs", "Legs", "count", "more legs", "fewer legs"),
    _spec("leg_thickness", "Leg thickness", "length", "thicker legs", "thinner legs"),
    _spec("leg_height", "Leg height", "length", "taller legs", "shorter legs"),
    _spec("office", "Office style", "flag", "an office swivel chair", "a four-legged chair"),
    _spec("seats", "Seats", "count", "more seat cushions", "fewer seat cushions"),
    _spec("chaise", "Chaise", "flag", "a chaise extension", "no chaise"),
    _spec("back_cushions", "Back cushions", "flag", "back cushions", "a plain back"),
    _spec("top_height", "Top height", "length", "a higher top", "a lower top"),
    _spec("top_thickness", "Top thickness", "length", "a thicker top", "a thinner top"),
    _spec("round_top", "Round top", "flag", "a round top", "a rectangular top"),
    _spec("coffee", "Coffee table", "flag", "a low coffee table", "a dining-height table"),
    _spec("lower_shelf", "Lower shelf", "flag", "a shelf under the top", "no shelf"),
    _spec("pedestal", "Pedestal", "flag", "a central pedestal", "legs at the corners"),
    _spec("drawers", "Drawers", "count", "more drawers", "fewer drawers"),
    _spec("pedestals", "Pedestals", "count", "more drawer pedestals", "fewer drawer pedestals"),
    _spec("hutch", "Hutch", "flag", "a shelf hutch on top", "no hutch"),
    _spec("corner", "Corner", "flag", "an L-shaped corner return", "a straight desk"),
    _spec("modesty_panel", "Back panel", "flag", "a modesty panel at the back", "an open back"),
    _spec("base_height", "Base", "length", "a taller base or legs", "a body down to the floor"),
    _spec("drawer_rows", "Drawer rows", "count", "more rows of drawers", "fewer rows of drawers"),
    _spec("drawer_columns", "Drawer columns", "count", "more columns of drawers", "fewer columns"),
    _spec("mirror", "Mirror", "flag", "a mirror on top", "no mirror"),
    _spec("doors", "Doors", "count", "more doors", "fewer doors"),
    _spec("cornice", "Cornice", "flag", "a cornice on top", "a plain top"),
    _spec("sliding", "Sliding doors", "flag", "sliding doors", "hinged doors"),
    _spec("niche", "Open niche", "flag", "an open shelf niche", "a closed front"),
    _spec("open_table", "Open table", "flag", "an open bedside table on legs", "a closed cabinet"),
    _spec("frame_height", "Frame height", "length", "a higher bed frame", "a lower bed frame"),
    _spec("mattress_top", "Mattress height", "length", "a higher mattress", "a lower mattress"),
    _spec("headboard", "Headboard", "length", "a taller headboard", "a lower headboard"),
    _spec("footboard", "Footboard", "flag", "a footboard", "no footboard"),
    _spec("footboard_height", "Footboard height", "length", "a taller footboard", "a lower footboard"),
    _spec("bunk", "Bunk", "flag", "a bunk bed", "a single level"),
    _spec("canopy", "Canopy", "flag", "a four-poster canopy", "no canopy"),
    _spec("pillows", "Pillows", "count", "more pillows", "fewer pillows"),
    _spec("rim_height", "Rim height", "length", "a higher rim", "a lower rim"),
    _spec("wall_thickness", "Wall thickness", "length", "thicker walls", "thinner walls"),
    _spec("builtin", "Built-in", "flag", "a boxed-in tub", "a freestanding tub"),
    _spec("clawfoot", "Clawfoot", "flag", "a tub on feet", "a tub on the floor"),
    _spec("tap", "Tap", "flag", "a tap", "no tap"),
    _spec("wall_hung", "Wall-hung", "flag", "a wall-hung bowl", "a bowl on a pedestal"),
    _spec("tank", "Tank", "flag", "a cistern tank", "no tank"),
    _spec("lid_open", "Lid open", "flag", "an open lid", "a closed lid"),
    _spec("tank_top", "Tank height", "length", "a taller tank", "a lower tank"),
    _spec("crt", "CRT", "flag", "a deep tube set", "a flat panel"),
    _spec("screen_width", "Screen width", "length", "a wider screen", "a narrower screen"),
    _spec("screen_height", "Screen height", "length", "a taller screen", "a shorter screen"),
    _spec("screen_thickness", "Screen depth", "length", "a thicker panel", "a thinner panel"),
    _spec("tilt", "Screen tilt", "angle", "a screen tilted back", "an upright screen"),
    _spec("stand_height", "Stand height", "length", "a screen raised higher", "a screen lower on its stand"),
    _spec("lid_angle", "Lid angle", "angle", "a lid opened wider", "a more closed lid"),
    _spec("base_thickness", "Base thickness", "length", "a thicker base", "a thinner base"),
    _spec("lid_thickness", "Lid thickness", "length", "a thicker lid", "a thinner lid"),
]

#: Every attribute by name.
ATTRIBUTES: dict[str, AttributeSpec] = {spec.name: spec for spec in _ALL}

_EXTENTS = ("height", "width", "depth")

#: The attributes each class's generator records (after the framed extents every class has).
CLASS_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "bathtub": _EXTENTS + ("rim_height", "wall_thickness", "builtin", "clawfoot", "tap"),
    "bed": _EXTENTS + ("frame_height", "mattress_top", "legs", "headboard", "footboard", "footboard_height",
                       "bunk", "canopy", "pillows"),
    "chair": _EXTENTS + ("seat_height", "seat_thickness", "backrest", "back_tilt", "armrests", "arm_height",
                         "legs", "leg_thickness", "office"),
    "desk": _EXTENTS + ("top_height", "drawers", "pedestals", "hutch", "corner", "modesty_panel"),
    "dresser": _EXTENTS + ("base_height", "drawer_rows", "drawer_columns", "drawers", "mirror"),
    "monitor": _EXTENTS + ("crt", "screen_width", "screen_height", "screen_thickness", "tilt", "stand_height"),
    "night_stand": _EXTENTS + ("base_height", "drawers", "doors", "niche", "open_table"),
    "sofa": _EXTENTS + ("seat_height", "backrest", "armrests", "arm_height", "arm_width", "leg_height", "seats",
                        "chaise", "back_cushions"),
    "table": _EXTENTS + ("top_height", "top_thickness", "round_top", "coffee", "lower_shelf", "legs",
                         "leg_thickness", "pedestal"),
    "toilet": _EXTENTS + ("seat_height", "wall_hung", "tank", "lid_open", "tank_top"),
    "wardrobe": _EXTENTS + ("base_height", "cornice", "drawers", "doors", "sliding"),
    "laptop": _EXTENTS + ("lid_angle", "base_thickness", "lid_thickness"),
}


def attribute_columns(classes: Iterable[str]) -> list[str]:
    """Union of the classes' attributes, in first-seen order (the columns of a stored table)."""
    names: list[str] = []
    for class_name in classes:
        for name in CLASS_ATTRIBUTES.get(class_name, _EXTENTS):
            if name not in names:
                names.append(name)
    return names


def measure_extents(grids: np.ndarray, min_voxels: int = 1) -> np.ndarray:
    """Bounding-box ``(height, width, depth)`` in voxels of ``(R,R,R)`` or ``(B,R,R,R)`` occupancy grids.

    Works on generated shapes too (threshold first): the geometric attributes of
    a slider are checked straight from the voxels. ``min_voxels`` > 1 counts only
    slices holding that many voxels, so a stray speck floating above a generated
    shape does not make it "taller". An empty grid measures 0.
    """
    occ = np.asarray(grids).astype(bool)
    single = occ.ndim == 3
    if single:
        occ = occ[None]
    out = np.zeros((occ.shape[0], 3), dtype=np.float32)
    for row, others in enumerate(((1, 2), (2, 3), (1, 3))):  # z, x, y kept
        present = occ.sum(axis=others) >= min_voxels  # (B, R) along the kept axis
        any_ = present.any(axis=1)
        first = present.argmax(axis=1)
        last = present.shape[1] - 1 - present[:, ::-1].argmax(axis=1)
        out[:, row] = np.where(any_, last - first + 1, 0)
    return out[0] if single else out


def shape_attributes(class_name: str, seed: int, resolution: int = 32) -> dict[str, float]:
    """Attributes of procedural shape ``(class_name, seed)`` framed at ``resolution`` (no voxelisation).

    Lengths are converted with the grid's scale (the yawed object's longest side
    spans ``R - 2`` voxels, as :func:`~voxstudio.data.procedural.primitives.rasterise`
    frames it); the extents are that framed bounding box.
    """
    from voxstudio.data.procedural import build_shape
    from voxstudio.data.procedural.primitives import object_bounds

    parts, yaw, recorded = build_shape(class_name, seed)
    lo, hi = object_bounds(parts, yaw)
    extent = hi - lo
    scale = (resolution - 2) / float(extent.max())  # voxels per metre
    values: dict[str, float] = {"height": float(extent[2] * scale), "width": float(extent[0] * scale),
                                "depth": float(extent[1] * scale)}
    for name in CLASS_ATTRIBUTES[class_name][len(_EXTENTS):]:
        value = recorded.get(name)
        if value is None:
            values[name] = float("nan")
        elif ATTRIBUTES[name].kind == "length":
            values[name] = float(value) * scale
        else:
            values[name] = float(value)
    return values


def class_attribute_table(class_name: str, seeds: Sequence[int], resolution: int = 32) -> np.ndarray:
    """``(N, A)`` float32 table of ``CLASS_ATTRIBUTES[class_name]`` for ``seeds`` (NaN: does not apply)."""
    names = CLASS_ATTRIBUTES[class_name]
    rows = [shape_attributes(class_name, int(s), resolution) for s in seeds]
    return np.array([[row[n] for n in names] for row in rows], dtype=np.float32).reshape(len(rows), len(names))


@dataclass
class AttributeTable:
    """A data set split's attributes: ``values[i, j]`` is attribute ``names[j]`` of shape ``i``."""

    names: list[str]
    values: np.ndarray  # float32 (N, A), NaN where an attribute does not apply

    def column(self, name: str) -> np.ndarray:
        return self.values[:, self.names.index(name)]


def _path(data_dir: str | os.PathLike[str], split: str) -> Path:
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    return Path(data_dir) / f"attributes_{split}.npz"


def save_attributes(data_dir: str | os.PathLike[str], split: str, table: AttributeTable) -> Path:
    """Write ``attributes_<split>.npz`` atomically next to the split's grids."""
    values = np.asarray(table.values, dtype=np.float32)
    if values.ndim != 2 or values.shape[1] != len(table.names):
        raise ValueError(f"attribute values have shape {values.shape}, expected (N, {len(table.names)})")
    buffer = io.BytesIO()
    np.savez_compressed(buffer, names=np.array(table.names, dtype=str), values=values)
    path = _path(data_dir, split)
    with atomic_write(path, "wb") as handle:
        handle.write(buffer.getvalue())
    return path


def load_attributes(data_dir: str | os.PathLike[str], split: str = "train") -> AttributeTable | None:
    """The split's attribute table, or None for a data set built before attributes were stored."""
    from voxstudio.core.errors import VoxelFileError

    path = _path(data_dir, split)
    if not path.exists():
        return None
    if not path.is_file():
        raise VoxelFileError(path, "attribute table is not a regular file")
    if path.stat().st_size > MAX_ATTRIBUTE_BYTES:
        raise VoxelFileError(path, f"attribute table is larger than {MAX_ATTRIBUTE_BYTES // 2**20} MB")
    try:
        with np.load(path, allow_pickle=False) as data:
            names = [str(n) for n in data["names"]]
            values = np.asarray(data["values"], dtype=np.float32)
    except (OSError, ValueError, KeyError) as error:
        raise VoxelFileError(path, f"unreadable attribute table ({error})") from error
    if values.ndim != 2 or values.shape[1] != len(names):
        raise VoxelFileError(path, f"attribute values have shape {values.shape} for {len(names)} names")
    return AttributeTable(names, values)


def write_procedural_attributes(
    out_dir: str | os.PathLike[str],
    classes: Sequence[str],
    per_class: int,
    seed: int,
    test_fraction: float,
    resolution: int,
) -> None:
    """Attribute tables for a data set written by ``build_procedural`` (same shape seeds and row order).

    Cheap: attributes come from the parts, no voxelisation (~1 ms per shape).
    """
    base = int(seed) * 1_000_000  # dataset.MAX_PER_CLASS: shape i of a class uses seed * 1e6 + i
    n_test = int(round(per_class * test_fraction))
    names = attribute_columns(classes)
    rows: dict[str, list[np.ndarray]] = {"train": [], "test": []}
    for class_name in classes:
        own = CLASS_ATTRIBUTES[class_name]
        table = class_attribute_table(class_name, [base + i for i in range(per_class)], resolution)
        full = np.full((per_class, len(names)), np.nan, dtype=np.float32)
        for j, name in enumerate(own):
            full[:, names.index(name)] = table[:, j]
        rows["test"].append(full[:n_test])
        rows["train"].append(full[n_test:])
    for split, blocks in rows.items():
        values = np.concatenate(blocks) if blocks else np.zeros((0, len(names)), np.float32)
        save_attributes(out_dir, split, AttributeTable(names, values))
