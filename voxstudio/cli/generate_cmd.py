"""``voxstudio generate``: batch generation from the shell, the same shapes as the GUI.

Shape ``i`` of a run uses seed ``S + i``; its latent is the engine's
``latent_for_seed`` (what the GUI's seed box uses), drawn with the sliders' move
(``session.shape_latent.generate_shape``, the GUI's own recipe, in the same slider
units), so ``--class chair --seed 42`` here and chair / seed 42 in the GUI are
the same grid. Named sliders (``--list-sliders``; ``--slider Backrest=1.5``) are the
class's calibrated sliders from ``weights/sliders.json`` (models/sliders.py), in latent
units within each slider's calibrated range; they add to the numbered "Mode k" ones.
``npy`` files hold the thresholded boolean occupancy ``(R, R, R)``,
index order x, y, z with z up and the front facing -y (the GUI's and the
procedural data's convention); the other formats go through the same writer as
the GUI's export.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from voxstudio.cli.common import add_runtime_options, apply_runtime_options, parse_float, parse_int, positive_int

FORMATS = ("npy", "binvox", "vox", "stl", "obj", "ply", "glb")
#: Most shapes one command writes (a typo'd count should not fill a disk).
MAX_COUNT = 100_000
#: Slider range in slider units, the GUI's ``generate_panel.SLIDER_LIMIT`` (kept equal by a GUI test;
#: not imported from there: the command line must not load Qt).
SLIDER_LIMIT = 3.0


def slider_names(count: int) -> list[str]:
    """The GUI's names of the latent-direction sliders ("Mode 1" ... "Mode K")."""
    return [f"Mode {index + 1}" for index in range(count)]


def _norm(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", name.strip().lower())


def slider_arg(text: str) -> tuple[str, float]:
    """argparse type for ``--slider NAME=VALUE``."""
    name, sep, value = text.rpartition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE (e.g. 'Mode 1=1.5'), got {text!r}")
    return name.strip(), parse_float(value)


def seed_arg(text: str) -> int:
    value = parse_int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def count_arg(text: str) -> int:
    value = positive_int(text)
    if value > MAX_COUNT:
        raise argparse.ArgumentTypeError(f"at most {MAX_COUNT}, got {value}")
    return value


def slider_values(names: Sequence[str], settings: Sequence[tuple[str, float]], limit: float) -> list[float]:
    """Slider values in the GUI's order from ``(name, value)`` pairs (names as the GUI shows them).

    Names match case-insensitively and ignoring spaces, ``_`` and ``-`` ("mode1",
    "Mode 1", "mode_1"); a bare number ``k`` means the k-th slider. Values are
    clamped to the GUI's slider range ``[-limit, limit]``.
    """
    values = [0.0] * len(names)
    lookup = {_norm(name): index for index, name in enumerate(names)}
    for name, value in settings:
        key = _norm(name)
        index = lookup.get(key)
        if index is None and key.isdigit() and 1 <= int(key) <= len(names):
            index = int(key) - 1
        if index is None:
            raise ValueError(f"unknown slider {name!r}; this model has: {', '.join(names)}")
        values[index] = max(-limit, min(limit, float(value)))
    return values


def resolve_class(classes: Sequence[str], text: str) -> int:
    """A class name (case-insensitive) or index -> class id."""
    lowered = [c.lower() for c in classes]
    if text.lower() in lowered:
        return lowered.index(text.lower())
    if text.isdigit() and int(text) < len(classes):
        return int(text)
    raise ValueError(f"unknown class {text!r}; choose one of: {', '.join(classes)}")


def split_slider_settings(
    engine: Any, class_id: int, settings: Sequence[tuple[str, float]]
) -> tuple[dict[str, float], list[tuple[str, float]], list[str]]:
    """``--slider`` pairs -> (named sliders ``{name: value}``, "Mode k" pairs, notes about clamped values).

    A name is looked up among the class's named sliders first, then among the
    numbered "Mode k" directions; neither: ``ValueError`` listing every valid name.
    """
    from voxstudio.models.sliders import normalise_name

    named_set = getattr(engine, "named_sliders", None)
    class_name = engine.classes[class_id]
    named_sliders = named_set.sliders(class_name) if named_set is not None else ()
    modes = slider_names(len(engine.directions))
    mode_keys = {normalise_name(m) for m in modes}
    named: dict[str, float] = {}
    numbered: list[tuple[str, float]] = []
    notes: list[str] = []
    for name, value in settings:
        key = normalise_name(name)
        match = None
        if named_set is not None:
            try:
                match = named_set.find(class_name, name)  # name, attribute or alias, loosely
            except KeyError:
                match = None
        if match is not None:
            clamped = match.clamp(value)
            if clamped != value:
                notes.append(f"{match.name}={value:g} clamped to {clamped:g} (calibrated range {match.low:g}..{match.high:g})")
            named[match.name] = clamped
        elif key in mode_keys or (key.isdigit() and 1 <= int(key) <= len(modes)):
            numbered.append((name, value))
        else:
            names = [s.name for s in named_sliders]
            valid = ", ".join(names) if names else "none (" + (getattr(engine, "named_sliders_problem", None)
                                                               or "no named sliders") + ")"
            raise ValueError(f"unknown slider {name!r} for {class_name}; named sliders: {valid}; "
                             f"numbered: {modes[0]} .. {modes[-1]}" if modes else f"unknown slider {name!r}")
    return named, numbered, notes


def generate_grids(
    engine: Any, class_id: int, seeds: Sequence[int], sliders: Sequence[float], named: dict[str, float] | None = None
) -> Any:
    """Occupancy probabilities ``(N, R, R, R)`` for ``seeds``, exactly as the GUI computes each one."""
    import numpy as np

    from voxstudio.session.results import GenerateParams
    from voxstudio.session.shape_latent import generate_shape

    named_pairs = tuple((named or {}).items())
    # One shape at a time, like the GUI: results do not depend on the batch.
    return np.stack([generate_shape(engine, GenerateParams(int(class_id), int(seed), sliders=tuple(sliders),
                                                           named=named_pairs))
                     for seed in seeds])


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "generate",
        help="generate shapes of a class from seeds and write them to files",
        description="Generate COUNT shapes of one class with the generator (seeds S, S+1, ...; the same "
        "shapes as the GUI's seed box) and write one file per shape into DIR. npy: boolean occupancy "
        "(R, R, R), z up, front -y; binvox/vox: voxel files; stl/obj/ply/glb: meshes.",
    )
    parser.add_argument("--class", dest="class_name", required=True, metavar="C",
                        help="class name (e.g. chair) or index")
    parser.add_argument("--count", type=count_arg, default=1, metavar="N", help="number of shapes (default: 1)")
    parser.add_argument("--seed", type=seed_arg, default=0, metavar="S",
                        help="seed of the first shape; shape i uses S + i (default: 0)")
    parser.add_argument("--slider", type=slider_arg, action="append", default=[], metavar="NAME=VALUE",
                        help="set a slider, repeatable: a named one of the class (see --list-sliders), e.g. "
                        "--slider Backrest=1.5 (latent units, clamped to its calibrated range), or a numbered "
                        "latent direction as in the GUI, e.g. --slider 'Mode 1=1.5' (-3..3)")
    parser.add_argument("--list-sliders", action="store_true",
                        help="print the class's named sliders, one per line, and exit")
    parser.add_argument("--out", type=Path, default=None, metavar="DIR",
                        help="output folder (created if needed; required unless --list-sliders)")
    parser.add_argument("--format", choices=FORMATS, default="npy", help="file format (default: npy)")
    parser.add_argument("--surface", choices=("blocky", "smooth"), default="blocky",
                        help="mesh formats: voxel cubes or marching cubes (default: blocky)")
    from voxstudio.cli.export_options import add_voxel_size_option

    add_voxel_size_option(parser, "the class's typical size, e.g. a chair about 0.96 m tall")
    parser.add_argument("--clean", action="store_true",
                        help="clean up fragments: keep the main piece and fill pinholes (off by default)")
    parser.add_argument("--weights", type=Path, default=None, metavar="DIR",
                        help="weights folder with gan.safetensors + gan.json (default: the shipped weights)")
    add_runtime_options(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from voxstudio.core.errors import VoxelFileError
    from voxstudio.core.export import export
    from voxstudio.models.device import DeviceError
    from voxstudio.models.engine import VoxelEngine, WeightsError

    apply_runtime_options(args)
    try:
        engine = VoxelEngine.load(args.weights, device=args.device)
    except (WeightsError, DeviceError) as error:
        print(f"voxstudio: error: {error}", file=sys.stderr)
        return 2
    if not engine.has_generator:
        print("voxstudio: error: these weights have no generator (gan.safetensors)", file=sys.stderr)
        return 2
    try:
        class_id = resolve_class(engine.classes, args.class_name)
        named, numbered, notes = split_slider_settings(engine, class_id, args.slider)
        values = slider_values(slider_names(len(engine.directions)), numbered, SLIDER_LIMIT)
    except ValueError as error:
        print(f"voxstudio: error: {error}", file=sys.stderr)
        return 2
    if args.list_sliders:
        return _list_sliders(engine, class_id)
    if args.out is None:
        print("voxstudio: error: --out DIR is required (unless --list-sliders)", file=sys.stderr)
        return 2
    for note in notes:
        print(f"voxstudio: note: {note}", file=sys.stderr)
    args.out.mkdir(parents=True, exist_ok=True)
    class_name = engine.classes[class_id]
    written = skipped = 0
    for start in range(0, args.count, 64):
        seeds = [args.seed + i for i in range(start, min(args.count, start + 64))]
        grids = generate_grids(engine, class_id, seeds, values, named)
        for seed, grid in zip(seeds, grids):
            if args.clean:
                from voxstudio.core.cleanup import clean_fragments

                grid = clean_fragments(grid)
            path = args.out / f"{class_name}_seed{seed}.{args.format}"
            try:
                if args.format == "npy":
                    export(path, np.ascontiguousarray(grid > 0.5 if grid.dtype != np.bool_ else grid))
                else:
                    from voxstudio.cli.export_options import voxel_size_for
                    from voxstudio.core.export import ExportOptions

                    options = ExportOptions(voxel_size=voxel_size_for(args, grid > 0.5, class_name))
                    export(path, grid, surface=args.surface, options=options)
            except VoxelFileError as error:  # e.g. an empty shape has no mesh: skip it, say so
                print(f"voxstudio: skipped seed {seed}: {error}", file=sys.stderr)
                skipped += 1
                continue
            written += 1
    print(f"wrote {written} {class_name} shape(s) ({engine.resolution}^3, seeds {args.seed}..{args.seed + args.count - 1}) "
          f"as .{args.format} to {args.out}")
    return 1 if skipped else 0


def _list_sliders(engine: Any, class_id: int) -> int:
    """One named slider per line (stdout); without named sliders, say why (stderr) and fail."""
    named_set = getattr(engine, "named_sliders", None)
    if named_set is None:
        print(f"voxstudio: error: {engine.named_sliders_problem}", file=sys.stderr)
        return 2
    for name in named_set.names(engine.classes[class_id]):
        print(name)
    return 0
