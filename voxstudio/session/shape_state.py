"""ShapeState: everything that makes one generated shape, as a small portable value.

Why a value of its own (and not ``GenerateParams``): history, favourites and the
"last state" outlive one model load and travel between machines in JSON files.
So the class is kept by *name* (a class id means nothing to another model), the
loaded latent carries the label of the file it was found for, and the state is
frozen and built from tuples, so it can be compared, hashed and used as a key
(the history strip maps states to thumbnails). Qt-free.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

__all__ = ["LatentRef", "ShapeState", "StateFormatError"]

MAX_SLIDERS = 256
MAX_LATENT_DIM = 4096
MAX_RESOLUTION = 256
SEED_MAX = 2**31 - 1


class StateFormatError(ValueError):
    """A JSON value is not a valid shape state; the message says which field and why.

    The file readers (``voxstudio.session.favourites``) turn it into the codebase's
    ``VoxelFileError(path, problem)`` so the user sees the file and the problem.
    """


@dataclass(frozen=True)
class LatentRef:
    """A loaded shape's latent ("Open in generator") and what it was found for."""

    values: tuple[float, ...]
    label: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"values": list(self.values), "label": self.label}

    @classmethod
    def from_json(cls, data: Any, where: str) -> LatentRef:
        if not isinstance(data, dict):
            raise StateFormatError(f"{where}: expected an object with 'values', got {type(data).__name__}")
        values = _floats(data.get("values"), f"{where}.values", MAX_LATENT_DIM)
        if not values:
            raise StateFormatError(f"{where}.values: a latent needs at least one value")
        return cls(values, _text(data.get("label", ""), f"{where}.label"))


@dataclass(frozen=True)
class ShapeState:
    """Class, seed, slider values, loaded latent (or None), interpolation, resolution.

    ``latent`` replaces the seed as end A (the base shape the sliders edit), as in
    the Generate panel; ``latent_b`` likewise replaces ``seed_b``, the target of
    the A -> B interpolation at ``t``.
    """

    class_name: str
    seed: int = 0
    sliders: tuple[float, ...] = ()
    latent: LatentRef | None = None
    resolution: int = 32
    seed_b: int = 1
    t: float = 0.0
    latent_b: LatentRef | None = field(default=None)
    #: The class's named sliders (weights/sliders.json) that are not at zero, sorted by name.
    named: tuple[tuple[str, float], ...] = ()

    def __post_init__(self) -> None:
        # Always store plain floats in tuples, so equal states hash equally whatever was passed in.
        object.__setattr__(self, "sliders", tuple(float(v) for v in self.sliders))
        named = sorted((str(k), float(v)) for k, v in dict(self.named).items() if float(v) != 0.0)
        object.__setattr__(self, "named", tuple(named))
        object.__setattr__(self, "t", float(self.t))

    # -- text ------------------------------------------------------------------------------
    def describe(self) -> str:
        """Short caption, e.g. "chair · seed 42 · 2 sliders" (menus, tooltips)."""
        base = f"loaded {self.latent.label or 'shape'}" if self.latent is not None else f"seed {self.seed}"
        text = f"{self.class_name} \u00b7 {base}"
        moved = sum(1 for v in self.sliders if v != 0.0) + len(self.named)
        if moved:
            text += f" \u00b7 {moved} slider{'s' if moved > 1 else ''}"
        if self.t > 0.0:
            end_b = f"loaded {self.latent_b.label or 'shape'}" if self.latent_b is not None else f"seed {self.seed_b}"
            text += f" \u2192 {end_b} ({self.t:.2f})"
        return text

    # -- JSON ------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (latents as lists of floats); ``from_json`` reads it back equal."""
        return {
            "class": self.class_name,
            "seed": self.seed,
            "sliders": list(self.sliders),
            "latent": None if self.latent is None else self.latent.to_json(),
            "resolution": self.resolution,
            "seed_b": self.seed_b,
            "t": self.t,
            "latent_b": None if self.latent_b is None else self.latent_b.to_json(),
            "named": dict(self.named),
        }

    @classmethod
    def from_json(cls, data: Any, where: str = "state") -> ShapeState:
        """Validate and build; ``StateFormatError`` names the bad field (``where`` prefixes it)."""
        if not isinstance(data, dict):
            raise StateFormatError(f"{where}: expected an object, got {type(data).__name__}")
        if "class" not in data:
            raise StateFormatError(f"{where}: the 'class' field is missing")
        class_name = _text(data["class"], f"{where}.class")
        if not class_name:
            raise StateFormatError(f"{where}.class: empty class name")
        latent = data.get("latent")
        latent_b = data.get("latent_b")
        t = _float(data.get("t", 0.0), f"{where}.t")
        if not 0.0 <= t <= 1.0:
            raise StateFormatError(f"{where}.t: {t} is outside 0..1")
        return cls(
            class_name=class_name,
            seed=_int(data.get("seed", 0), f"{where}.seed", 0, SEED_MAX),
            sliders=_floats(data.get("sliders", []), f"{where}.sliders", MAX_SLIDERS),
            latent=None if latent is None else LatentRef.from_json(latent, f"{where}.latent"),
            resolution=_int(data.get("resolution", 32), f"{where}.resolution", 1, MAX_RESOLUTION),
            seed_b=_int(data.get("seed_b", 1), f"{where}.seed_b", 0, SEED_MAX),
            t=t,
            latent_b=None if latent_b is None else LatentRef.from_json(latent_b, f"{where}.latent_b"),
            named=_named(data.get("named", {}), f"{where}.named"),
        )


# -- field checks ----------------------------------------------------------------------------
def _named(value: Any, where: str) -> tuple[tuple[str, float], ...]:
    if not isinstance(value, dict):
        raise StateFormatError(f"{where}: expected an object of slider name -> value, got {type(value).__name__}")
    if len(value) > MAX_SLIDERS:
        raise StateFormatError(f"{where}: more than {MAX_SLIDERS} sliders")
    return tuple((_text(name, f"{where} name"), _float(v, f"{where}.{name}")) for name, v in value.items())


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise StateFormatError(f"{where}: expected text, got {type(value).__name__}")
    if len(value) > 1000:
        raise StateFormatError(f"{where}: text longer than 1000 characters")
    return value


def _int(value: Any, where: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise StateFormatError(f"{where}: expected an integer, got {value!r}")
    if not low <= value <= high:
        raise StateFormatError(f"{where}: {value} is outside {low}..{high}")
    return value


def _float(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise StateFormatError(f"{where}: expected a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise StateFormatError(f"{where}: {value!r} is not a finite number")
    return number


def _floats(value: Any, where: str, limit: int) -> tuple[float, ...]:
    if not isinstance(value, list):
        raise StateFormatError(f"{where}: expected a list of numbers, got {type(value).__name__}")
    if len(value) > limit:
        raise StateFormatError(f"{where}: {len(value)} values, at most {limit} allowed")
    return tuple(_float(item, f"{where}[{index}]") for index, item in enumerate(value))
