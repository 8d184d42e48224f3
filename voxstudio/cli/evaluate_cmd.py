"""``voxstudio evaluate capsnet|baseline|gan``: score trained weights on a dataset split.

Classifiers: accuracy, per-class accuracy and the confusion matrix (printed, and
optionally saved as JSON, Markdown and a PNG).  ``gan`` is dispatched to
``voxstudio.training.gan_task.evaluate_weights`` (imported only when asked for).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from voxstudio.cli.common import (
    add_runtime_options,
    apply_runtime_options,
    positive_int,
)
from voxstudio.core.orientation import UP_CHOICES

MODELS = ("capsnet", "baseline", "gan")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "evaluate",
        help="measure a trained model on a dataset's test split",
        description="Evaluate trained weights on a dataset folder. For capsnet/baseline prints accuracy, "
        "per-class accuracy and the confusion matrix.",
    )
    parser.add_argument("model", choices=MODELS, help="which model the weights are for")
    parser.add_argument("--data", type=Path, default=None, metavar="DIR", help="dataset folder")
    parser.add_argument("--files", type=Path, default=None, metavar="DIR",
                        help="classifiers: a folder of real files as <class>/<file> (any supported format), "
                        "classified as the app loads them (instead of --data)")
    parser.add_argument("--up", choices=UP_CHOICES, default="auto",
                        help="with --files: up axis (default: auto, by file type and name)")
    parser.add_argument("--calibrate", action="store_true",
                        help="classifiers with --data: set the 'none of these' threshold on the test split and "
                        "held-out non-furniture shapes, and write it into the weights JSON")
    parser.add_argument("--weights", type=Path, default=None, metavar="DIR_OR_STEM",
                        help="a run or weights folder (uses <model>.safetensors in it) or a weights file / stem "
                        "(default: the shipped weights)")
    parser.add_argument("--split", choices=("test", "train"), default="test", help="which split (default: test)")
    parser.add_argument("--batch-size", type=positive_int, default=64, metavar="B", help="inference batch (default: 64)")
    parser.add_argument("--json", type=Path, default=None, metavar="FILE", help="also write the metrics as JSON")
    parser.add_argument("--markdown", type=Path, default=None, metavar="FILE",
                        help="also write the confusion matrix as a Markdown table (classifiers)")
    parser.add_argument("--png", type=Path, default=None, metavar="FILE",
                        help="also draw the confusion matrix as a PNG image (classifiers)")
    add_runtime_options(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:

    from voxstudio.core.errors import DeviceError, WeightsError
    from voxstudio.paths import weights_dir

    apply_runtime_options(args)
    weights = args.weights if args.weights is not None else weights_dir()
    if (args.data is None) == (args.files is None) or (args.model == "gan" and args.files is not None):
        print("voxstudio: error: give --data DIR (a dataset) or, for capsnet/baseline, --files DIR", file=sys.stderr)
        return 2
    if args.calibrate and (args.model == "gan" or args.data is None):
        print("voxstudio: error: --calibrate needs a classifier and --data", file=sys.stderr)
        return 2
    try:
        if args.model == "gan":
            return _evaluate_gan(args, weights)
        from voxstudio.training.evaluate import (
            evaluate_classifier,
            evaluate_files,
            resolve_weights,
            save_confusion_png,
            save_report_json,
        )

        if args.calibrate:
            from voxstudio.training.calibration import calibrate_weights

            result = calibrate_weights(resolve_weights(weights, args.model), args.data, device=args.device)
            print(f"none-of-these threshold {result.threshold:.4f}: keeps {100 * result.furniture_kept:.1f}% of "
                  f"{result.furniture} test shapes ({100 * result.augmented_kept:.1f}% made to look like real "
                  f"files), refuses {100 * result.outliers_refused:.1f}% of {result.outliers} non-furniture "
                  "shapes (written to the weights JSON)")
        if args.files is not None:
            report = evaluate_files(args.model, args.files, weights, device=args.device, up=args.up)
        else:
            report = evaluate_classifier(args.model, args.data, weights, device=args.device,
                                         batch_size=args.batch_size, split=args.split)
    except (WeightsError, DeviceError) as error:
        print(f"voxstudio: error: {error}", file=sys.stderr)
        return 2
    print(report.format_text())
    if args.json:
        print(f"wrote {save_report_json(args.json, report)}")
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(report.format_markdown() + "\n", encoding="utf-8")
        print(f"wrote {args.markdown}")
    if args.png:
        print(f"wrote {save_confusion_png(args.png, report)}")
    return 0


def _evaluate_gan(args: argparse.Namespace, weights: Path) -> int:
    try:
        from voxstudio.training.gan_task import evaluate_weights
    except ImportError as error:
        print(f"voxstudio: error: GAN evaluation is not available ({error})", file=sys.stderr)
        return 2
    metrics = evaluate_weights(args.data, weights, device=args.device)
    for name, value in metrics.items():
        print(f"{name}: {value:.6g}" if isinstance(value, float) else f"{name}: {value}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    return 0
