"""``voxstudio classify FILE...``: classify voxel files and meshes from the shell.

Every file goes through the same load path as the GUI (framed like the training
data, oriented by its convention, voted over four yaws) and may come back as
"none of these". A file that cannot be read gets its error and the others are
still classified; the exit code is 1 if any file failed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from voxstudio.cli.common import add_runtime_options, apply_runtime_options
from voxstudio.core.orientation import UP_CHOICES


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "classify",
        help="classify voxel files and meshes (batch, optional JSON)",
        description="Classify each FILE (.binvox .vox .npy .off .obj .stl .ply .glb .gltf) with the capsule "
        "network (or --model baseline). Files are oriented by their convention (ModelNet .off z up; ShapeNet "
        "y up, front -z; glTF y up, front +z; a bare .binvox by a pose search), re-framed like the training "
        "data and classified in four yaws. A shape that is none of the classes is reported as such.",
    )
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="files to classify")
    parser.add_argument("--up", choices=UP_CHOICES, default="auto",
                        help="up axis: auto (by file type and name; default), z, or y")
    parser.add_argument("--json", action="store_true",
                        help='print one JSON array: {"file", "class" (null: none of the classes), "confidence", '
                        '"probabilities", "error"} per file. confidence is the class\'s probability, or for '
                        '"none of these" 1 minus the strongest class presence')
    parser.add_argument("--model", choices=("capsnet", "baseline"), default="capsnet",
                        help="which classifier (default: capsnet)")
    parser.add_argument("--weights", type=Path, default=None, metavar="DIR_OR_STEM",
                        help="weights folder or stem (default: the shipped weights)")
    add_runtime_options(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:

    from voxstudio.core.errors import DeviceError, WeightsError
    from voxstudio.models.file_classifier import FileClassifier
    from voxstudio.paths import weights_dir
    from voxstudio.training.evaluate import resolve_weights

    apply_runtime_options(args)
    try:
        stem = resolve_weights(args.weights if args.weights is not None else weights_dir(), args.model)
        classifier = FileClassifier.from_weights(stem, device=args.device)
    except (WeightsError, DeviceError) as error:
        print(f"voxstudio: error: {error}", file=sys.stderr)
        return 2
    results = [classifier.classify_path(path, args.up) for path in args.files]
    if args.json:
        print(json.dumps([result.as_json() for result in results], indent=2))
    else:
        for result in results:
            if result.error is not None:
                print(f"{result.file}: error: {result.error}")
            elif result.class_name is None:
                print(f"{result.file}: none of the classes (strongest: "
                      f"{max(result.probabilities, key=result.probabilities.__getitem__)}, presence "
                      f"{result.presence:.2f}) [{result.description}]")
            else:
                print(f"{result.file}: {result.class_name} ({100 * result.confidence:.1f}%) [{result.description}]")
    return 1 if any(result.error is not None for result in results) else 0
