"""``voxstudio generate``: batch generation from the shell, the same shapes as the GUI.

Shape ``i`` of a run uses seed ``S + i``; its latent is the engine's
``latent_for_seed`` (what the GUI's seed box uses), moved by the sliders with
``latent_with_sliders`` (the GUI's latent-direction sliders, in the same slider
units), so ``--class chair --seed 42`` here and chair / seed 42 in the GUI are
the same grid. ``npy`` files hold the thresholded boolean occupancy ``(R, R, R)``,
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


def generate_grids(engine: Any, class_id: int, seeds: Sequence[int], sliders: Sequence[float]) -> Any:
    """Occupancy probabilities ``(N, R, R, R)`` for ``seeds``, exactly as the GUI computes each one."""
    import numpy as np

    latents = []
    for seed in seeds:
        z = np.asarray(engine.latent_for_seed(int(seed)), dtype=np.float32)
        if any(v != 0.0 for v in sliders):
            z = engine.latent_with_sliders(z, np.asarray(sliders, dtype=np.float32))
        latents.append(z)
    # One latent at a time, like the GUI: results do not depend on the batch.
    return np.stack([np.asarray(engine.generate(z, int(class_id)), dtype=np.float32) for z in latents])


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
                        help="set a latent-direction slider as in the GUI, e.g. --slider 'Mode 1=1.5' "
                        "(GUI units, -3..3; repeatable)")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder (created if needed)")
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
        values = slider_values(slider_names(len(engine.directions)), args.slider, SLIDER_LIMIT)
    except ValueError as error:
        print(f"voxstudio: error: {error}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    class_name = engine.classes[class_id]
    written = skipped = 0
    for start in range(0, args.count, 64):
        seeds = [args.seed + i for i in range(start, min(args.count, start + 64))]
        grids = generate_grids(engine, class_id, seeds, values)
        for seed, grid in zip(seeds, grids):
            if args.clean:
                from voxstudio.models.cleanup import clean_fragments

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
