"""Print the model card's named-slider table (Markdown) from a ``sliders.json``.

    python docs/slider_table.py [weights/sliders.json]

Prints the table, a blank line and the "Not offered" paragraph.

Every figure comes from the ``figures`` record ``fit_sliders`` writes for each
slider, so the table in ``weights/README.md`` is regenerated, not retyped,
whenever the sliders are refitted.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HEADER = (
    "| class | slider | range | attribute low -> high end (mean of 64 seeds) | change (std) | right way "
    "| latent R² | measure R² | agreement low/centre/high | one piece low/centre/high |\n"
    "|---|---|---|---|---:|---:|---:|---:|---|---|"
)


def _percent_triple(values: dict[str, float]) -> str:
    return " / ".join(f"{100 * values[k]:.0f}" for k in ("low", "centre", "high")) + " %"


def row(class_name: str, slider: dict[str, Any]) -> str:
    """One table row for a slider of ``sliders.json``."""
    f = slider["figures"]
    name = slider["name"] + (" (cond.)" if f.get("conditional") else "")
    low, high = slider["range"]
    measure = "voxels" if f.get("measure") == "voxels" else f"{f['measure_r2']:.2f}"
    return (
        f"| {class_name} | {name} | {low:+.1f} .. {high:+.1f} | {f['low_mean']:.2f} -> {f['high_mean']:.2f} "
        f"| {f['change_std']:+.2f} | {100 * f['right_way']:.0f} % | {f['latent_r2']:.2f} | {measure} "
        f"| {_percent_triple(f['agreement'])} | {_percent_triple(f['one_piece'])} |"
    )


def table(path: Path) -> str:
    data = json.loads(path.read_text())
    rows = [row(c, s) for c, sliders in data["classes"].items() for s in sliders]
    return "\n".join([HEADER, *rows])


def dropped(path: Path) -> str:
    """The "Not offered" paragraph: every attribute left out, with the fit's reason."""
    reasons = json.loads(path.read_text()).get("info", {}).get("dropped", {})
    parts = [
        f"**{c}** " + "; ".join(f"{a.replace('_', ' ')} ({why})" for a, why in attributes.items()) + "."
        for c, attributes in reasons.items()
        if attributes
    ]
    return (
        "Not offered, with the reason (all in `sliders.json` under `info.dropped`; a class's longest side is "
        "always 30 voxels, so that extent does not vary): " + " ".join(parts)
    )


if __name__ == "__main__":
    source = Path(sys.argv[1] if len(sys.argv) > 1 else "weights/sliders.json")
    print(table(source))
    print()
    print(dropped(source))
