"""Named, calibrated sliders: per-class latent directions that move one attribute.

``weights/sliders.json`` (written by ``voxstudio train sliders``,
:mod:`voxstudio.training.fit_sliders`) holds, for every class, sliders such as
"Height", "Backrest" or "Armrests": a unit direction in the generator's
standard-normal latent space (InterFaceGAN: the normal of a linear model that
predicts the attribute from the latent), the range ``[low, high]`` in latent
units along it (calibrated so both ends still look like the class and hold
together), a tooltip, and the figures measured when it was fitted.

A slider value ``v`` moves a latent to ``z + v * direction``; several sliders add
up. Values outside the range are clamped. The file records the SHA-256 of the
generator it was fitted on: a direction means nothing for another generator, so
:func:`sliders_for_weights` refuses a stale file (with a message saying how to
refit) instead of moving shapes at random. Qt-free and torch-free.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from voxstudio.core.errors import VoxelFileError, WeightsError

__all__ = [
    "FORMAT", "FORMAT_VERSION", "SLIDERS_FILE", "NamedSlider", "SliderSet", "load_sliders", "normalise_name",
    "parse_sliders", "save_sliders", "slider_table", "sliders_for_weights",
]

FORMAT = "voxstudio-sliders"
FORMAT_VERSION = 1
SLIDERS_FILE = "sliders.json"
#: The file is a few hundred kB; anything much larger is not ours.
MAX_SLIDERS_BYTES = 8 * 1024 * 1024
#: Most sliders one class may carry (the GUI shows them all in one column).
MAX_SLIDERS_PER_CLASS = 16
#: Farthest a calibrated end may lie (latent units; the generator never saw |z| components beyond ~4).
MAX_RANGE = 6.0


def normalise_name(name: str) -> str:
    """Slider names match case-insensitively and ignoring spaces, ``_`` and ``-``."""
    return re.sub(r"[\s_\-]+", "", name.strip().lower())


@dataclass(frozen=True)
class NamedSlider:
    """One named slider of one class."""

    name: str  # what the user sees and types, e.g. "Seat height"
    attribute: str  # the data.attributes name it moves, e.g. "seat_height"
    tooltip: str
    direction: np.ndarray  # (latent_dim,) float32, unit length
    low: float  # calibrated range in latent units along ``direction`` (low < 0 < high)
    high: float
    figures: dict[str, Any] = field(default_factory=dict)  # what was measured at fitting (report)
    aliases: tuple[str, ...] = ()  # other names that reach it (a sofa's "Backrest" is its "Height")

    def clamp(self, value: float) -> float:
        return max(self.low, min(self.high, float(value)))


@dataclass
class SliderSet:
    """All classes' named sliders for one generator."""

    latent_dim: int
    classes: dict[str, tuple[NamedSlider, ...]]
    generator_sha256: str | None = None
    info: dict[str, Any] = field(default_factory=dict)

    def sliders(self, class_name: str) -> tuple[NamedSlider, ...]:
        """The class's sliders in display order (empty for a class without any)."""
        return self.classes.get(class_name, ())

    def names(self, class_name: str) -> list[str]:
        return [s.name for s in self.sliders(class_name)]

    def find(self, class_name: str, name: str) -> NamedSlider:
        """The slider called ``name`` (loose match); ``KeyError`` listing the valid names otherwise."""
        key = normalise_name(name)
        for slider in self.sliders(class_name):
            if key in {normalise_name(n) for n in (slider.name, slider.attribute, *slider.aliases)}:
                return slider
        valid = ", ".join(self.names(class_name)) or "(none)"
        raise KeyError(f"unknown slider {name!r} for {class_name}; valid names: {valid}")

    def offset(self, class_name: str, values: Mapping[str, float]) -> np.ndarray:
        """``sum_k clamp(v_k) * direction_k`` for ``{name: value}`` -> ``(latent_dim,)`` float32."""
        total = np.zeros(self.latent_dim, dtype=np.float32)
        for name, value in values.items():
            slider = self.find(class_name, name)
            total += np.float32(slider.clamp(value)) * slider.direction
        return total

    def apply(self, z: np.ndarray, class_name: str, values: Mapping[str, float]) -> np.ndarray:
        """The latent ``z`` moved by the named sliders (``values`` clamped to their ranges)."""
        z = np.asarray(z, dtype=np.float32)
        if z.shape[-1] != self.latent_dim:
            raise ValueError(f"latent has {z.shape[-1]} values, these sliders expect {self.latent_dim}")
        return z + self.offset(class_name, values)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "latent_dim": self.latent_dim,
            "generator_sha256": self.generator_sha256,
            "info": self.info,
            "classes": {
                name: [
                    {
                        "name": s.name,
                        "attribute": s.attribute,
                        "tooltip": s.tooltip,
                        "range": [round(s.low, 3), round(s.high, 3)],
                        "direction": [round(float(v), 6) for v in s.direction],
                        "figures": s.figures,
                        **({"aliases": list(s.aliases)} if s.aliases else {}),
                    }
                    for s in sliders
                ]
                for name, sliders in self.classes.items()
            },
        }


def save_sliders(path: str | os.PathLike[str], sliders: SliderSet) -> Path:
    """Write the slider file atomically (world-readable, like the other shipped weights)."""
    from voxstudio.core.atomic import SHARED_FILE_MODE, atomic_write

    path = Path(path)
    with atomic_write(path, "w", permissions=SHARED_FILE_MODE, encoding="utf-8") as handle:
        json.dump(sliders.to_json(), handle, indent=1)
        handle.write("\n")
    return path


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number, got {value!r}")
    return float(value)


def _text(value: Any, what: str, limit: int = 400) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise ValueError(f"{what} must be a non-empty string of at most {limit} characters")
    return value


def _parse_slider(data: Any, latent_dim: int, where: str) -> NamedSlider:
    if not isinstance(data, dict):
        raise ValueError(f"{where} must be an object")
    name = _text(data.get("name"), f"{where}.name", 40)
    where = f"{where} ({name})"
    direction_list = data.get("direction")
    if not isinstance(direction_list, list) or len(direction_list) != latent_dim:
        raise ValueError(f"{where}: direction must be a list of {latent_dim} numbers")
    direction = np.array([_number(v, f"{where} direction") for v in direction_list], dtype=np.float32)
    norm = float(np.linalg.norm(direction))
    if not 0.99 <= norm <= 1.01:
        raise ValueError(f"{where}: direction must have unit length, has {norm:.4f}")
    span = data.get("range")
    if not isinstance(span, list) or len(span) != 2:
        raise ValueError(f"{where}: range must be [low, high]")
    low, high = (_number(v, f"{where} range") for v in span)
    if not -MAX_RANGE <= low < 0.0 < high <= MAX_RANGE:
        raise ValueError(f"{where}: range must satisfy -{MAX_RANGE} <= low < 0 < high <= {MAX_RANGE}, got {span}")
    figures = data.get("figures", {})
    aliases = data.get("aliases", [])
    if not isinstance(aliases, list) or len(aliases) > 8:
        raise ValueError(f"{where}: aliases must be a list of at most 8 names")
    if not isinstance(figures, dict):
        raise ValueError(f"{where}: figures must be an object")
    return NamedSlider(
        name=name,
        attribute=_text(data.get("attribute"), f"{where}.attribute", 40),
        tooltip=_text(data.get("tooltip"), f"{where}.tooltip"),
        direction=direction / norm,
        low=low,
        high=high,
        figures=figures,
        aliases=tuple(_text(a, f"{where} alias", 40) for a in aliases),
    )


def parse_sliders(data: Any, latent_dim: int | None = None) -> SliderSet:
    """Validate the decoded JSON of a slider file; ``ValueError`` says what is wrong."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f"not a slider file (format must be {FORMAT!r})")
    if data.get("version") != FORMAT_VERSION:
        raise ValueError(f"slider file version {data.get('version')!r} is not supported (expected {FORMAT_VERSION})")
    dim = data.get("latent_dim")
    if isinstance(dim, bool) or not isinstance(dim, int) or not 1 <= dim <= 4096:
        raise ValueError("latent_dim must be an integer in 1..4096")
    if latent_dim is not None and dim != latent_dim:
        raise ValueError(f"sliders are for a {dim}-D latent, the generator has {latent_dim}")
    sha = data.get("generator_sha256")
    if sha is not None and (not isinstance(sha, str) or not re.fullmatch(r"[0-9a-f]{64}", sha)):
        raise ValueError("generator_sha256 must be 64 lowercase hex digits or null")
    classes = data.get("classes")
    if not isinstance(classes, dict):
        raise ValueError("classes must be an object {class: [sliders]}")
    parsed: dict[str, tuple[NamedSlider, ...]] = {}
    for class_name, items in classes.items():
        if not isinstance(items, list) or len(items) > MAX_SLIDERS_PER_CLASS:
            raise ValueError(f"{class_name}: expected a list of at most {MAX_SLIDERS_PER_CLASS} sliders")
        sliders = tuple(_parse_slider(item, dim, f"{class_name}[{k}]") for k, item in enumerate(items))
        keys = [normalise_name(n) for s in sliders for n in (s.name, *s.aliases)]
        if len(set(keys)) != len(keys):
            raise ValueError(f"{class_name}: slider names are not unique")
        parsed[str(class_name)] = sliders
    info = data.get("info", {})
    return SliderSet(latent_dim=dim, classes=parsed, generator_sha256=sha, info=info if isinstance(info, dict) else {})


def load_sliders(path: str | os.PathLike[str], latent_dim: int | None = None) -> SliderSet:
    """Read and validate a slider file; :class:`WeightsError` naming the file for any problem."""
    from voxstudio.core.io.common import read_json

    path = Path(path)
    try:
        data = read_json(path, max_bytes=MAX_SLIDERS_BYTES, what="slider file")
        return parse_sliders(data, latent_dim)
    except VoxelFileError as error:
        raise WeightsError(path, error.problem) from error
    except ValueError as error:
        raise WeightsError(path, str(error)) from error


def sliders_for_weights(
    folder: str | os.PathLike[str], gan_config: Mapping[str, Any] | None, latent_dim: int
) -> tuple[SliderSet | None, str | None]:
    """The named sliders that go with the generator in ``folder``: ``(sliders, None)`` or ``(None, why not)``.

    Never raises for a missing or stale file: the app still works with its
    unnamed sliders, and the reason is shown where named sliders were asked for.
    """
    path = Path(folder) / SLIDERS_FILE
    if not path.exists():
        return None, f"no named sliders: {path} is missing (fit them with 'python -m voxstudio.training.fit_sliders')"
    try:
        sliders = load_sliders(path, latent_dim)
    except WeightsError as error:
        return None, str(error)
    expected = ((gan_config or {}).get("weights_file") or {}).get("sha256")
    if sliders.generator_sha256 and expected and sliders.generator_sha256 != expected:
        return None, (f"{path} was fitted for another generator (sha256 {sliders.generator_sha256[:12]}..., "
                      f"this one is {str(expected)[:12]}...); refit with 'python -m voxstudio.training.fit_sliders'")
    return sliders, None


def slider_table(sliders: Sequence[NamedSlider]) -> list[tuple[str, float, float, str]]:
    """``(name, low, high, tooltip)`` rows, e.g. for a GUI or ``--list-sliders -v``."""
    return [(s.name, s.low, s.high, s.tooltip) for s in sliders]
