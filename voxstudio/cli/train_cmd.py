"""``voxstudio train capsnet|baseline|gan``: train a model on a dataset folder with fit().

The classifiers come from :mod:`voxstudio.training.classifier_task`; ``gan`` is
dispatched to :mod:`voxstudio.training.gan_task` (imported only when asked
for).  Both expose ``build_task(...)`` and optional ``DEFAULT_EPOCHS`` /
``DEFAULT_BATCH_SIZE`` constants.  Runs unchanged under ``torchrun``; see
docs/training.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from voxstudio.cli.common import add_runtime_options, apply_runtime_options, positive_float, positive_int

MODELS = ("capsnet", "baseline", "gan")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train the capsule classifier, the CNN baseline or the GAN",
        description="Train a model on a dataset folder (from `voxstudio dataset build|import`). "
        "Writes RUN_DIR/checkpoint.pt (every epoch, and on Ctrl-C), RUN_DIR/log.csv and finally "
        "RUN_DIR/<model>.safetensors + .json. Re-run with --resume to continue an interrupted run "
        "exactly. Multi-process / multi-node: launch with torchrun (docs/training.md).",
    )
    parser.add_argument("model", choices=MODELS, help="what to train")
    parser.add_argument("--data", type=Path, required=True, metavar="DIR", help="dataset folder (meta.json, train.npz, test.npz)")
    parser.add_argument("--out", type=Path, required=True, metavar="RUN_DIR", help="run folder for checkpoint, log and weights")
    parser.add_argument("--epochs", type=positive_int, default=None, metavar="N",
                        help="total number of epochs, counting those already done when resuming (default: per model)")
    parser.add_argument("--batch-size", type=positive_int, default=None, metavar="B",
                        help="global batch size, split over torchrun processes (default: per model)")
    parser.add_argument("--lr", type=positive_float, default=None, help="learning rate (default: per model)")
    parser.add_argument("--seed", type=int, default=0, help="seed for weights, data order and augmentation (default: 0)")
    parser.add_argument("--resume", action="store_true", help="continue from RUN_DIR/checkpoint.pt")
    parser.add_argument("--checkpoint-every", type=positive_int, default=None, metavar="STEPS",
                        help="also checkpoint every STEPS steps (default: at epoch ends only)")
    parser.add_argument("--log-every", type=positive_int, default=10, metavar="STEPS",
                        help="log.csv row every STEPS steps (default: 10)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar (for log files)")
    parser.add_argument("--init-weights", type=Path, default=None, metavar="STEM",
                        help="start from these trained weights (e.g. runs/capsnet/capsnet; gan: fine-tune an "
                        "exported generator and its encoder, e.g. weights/gan, with a fresh critic)")
    parser.add_argument("--decoder-only", action="store_true",
                        help="capsnet with --init-weights: freeze the classifier and refit only the "
                        "reconstruction decoder (sharper shapes for the pose explorer, same predictions)")
    parser.add_argument("--augment", choices=("real-files", "mirror-shift", "none"), default="real-files",
                        help="classifiers: real-files (any of four yaws, hollow shells, stretched proportions, "
                        "chunky parts, mirror and shifts; default), mirror-shift (the first release's), or none")
    parser.add_argument("--outliers", type=float, default=0.125, metavar="FRACTION",
                        help="classifiers: add this many non-furniture shapes (a fraction of the training set) "
                        "that must light up no class, so the model can say 'none of these' (default: 0.125; 0 for none)")
    parser.add_argument("--discriminator", choices=("conv", "capsule"), default="conv",
                        help="gan: the critic, a spectral-norm CNN with a projection head (conv, default) or a "
                        "3D capsule network with dynamic routing (capsule)")
    parser.add_argument("--gan-option", action="append", default=[], metavar="KEY=VALUE",
                        help="gan: set a training hyper-parameter (GANTrainConfig field, e.g. thin_weight=4 or "
                        "kl_weight=0.5); repeatable; recorded in gan.json")
    add_runtime_options(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:

    from voxstudio.core.errors import CheckpointError, DeviceError, TrainingError, WeightsError
    from voxstudio.data.dataset import load_split
    from voxstudio.training.loop import fit

    apply_runtime_options(args)
    if args.model == "gan" and args.decoder_only:
        print("voxstudio: error: --decoder-only is for the capsule classifier", file=sys.stderr)
        return 2
    if args.gan_option and args.model != "gan":
        print("voxstudio: error: --gan-option is for gan training", file=sys.stderr)
        return 2
    overrides = {}
    for item in args.gan_option:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            print(f"voxstudio: error: --gan-option needs KEY=VALUE, got {item!r}", file=sys.stderr)
            return 2
        overrides[key.strip()] = value.strip()
    if overrides:
        from voxstudio.training.gan_task import GANTrainConfig, train_config_with

        try:
            train_config_with(GANTrainConfig(), overrides)
        except ValueError as error:
            print(f"voxstudio: error: {error}", file=sys.stderr)
            return 2
    if args.decoder_only and (args.model != "capsnet" or args.init_weights is None):
        print("voxstudio: error: --decoder-only needs capsnet and --init-weights", file=sys.stderr)
        return 2
    try:
        module = _task_module(args.model)
    except ImportError as error:
        print(f"voxstudio: error: {args.model} training is not available ({error})", file=sys.stderr)
        return 2
    train_set = load_split(args.data, "train")
    test_set = load_split(args.data, "test")
    epochs = args.epochs or getattr(module, "DEFAULT_EPOCHS", 20)
    batch_size = args.batch_size or getattr(module, "DEFAULT_BATCH_SIZE", 32)
    options = {"epochs": epochs, "batch_size": batch_size, "lr": args.lr, "seed": args.seed}
    try:
        if args.model == "gan":
            task = module.build_task(train_set, test_set, out_dir=args.out, discriminator=args.discriminator,
                                     init_weights=args.init_weights, overrides=overrides, **options)
        else:
            outliers = 0 if args.decoder_only else int(round(max(0.0, args.outliers) * len(train_set.labels)))
            task = module.build_task(args.model, train_set, test_set, metadata=_data_facts(args.data),
                                     init_weights=args.init_weights, decoder_only=args.decoder_only,
                                     augment=args.augment, outliers=outliers, **options)
            train_set = module.with_outliers(train_set, outliers, seed=args.seed)
        metrics = fit(
            task, train_set, args.out, epochs=epochs, batch_size=batch_size, device=args.device, seed=args.seed,
            resume=args.resume, checkpoint_every_steps=args.checkpoint_every, log_every_steps=args.log_every,
            progress=not args.no_progress,
        )
    except (TrainingError, CheckpointError, DeviceError, WeightsError) as error:
        print(f"voxstudio: error: {error}", file=sys.stderr)
        return 2
    if _is_main_process():
        shown = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in metrics.items())
        print(f"trained {args.model}: {shown}")
        print(f"weights and log in {args.out}")
    return 0


def _data_facts(data_dir: Path) -> dict:
    """Where the training data came from, for the weights' JSON (folder and dataset provenance)."""
    from voxstudio.data.dataset import read_meta

    meta = read_meta(data_dir)
    keys = ("source", "seed", "version", "generator_version", "per_class", "test_fraction")
    return {"data": str(data_dir), "dataset": {key: meta[key] for key in keys if key in meta}}


def _task_module(model: str):  # noqa: ANN202 - a module object
    import importlib

    name = "gan_task" if model == "gan" else "classifier_task"
    return importlib.import_module(f"voxstudio.training.{name}")


def _is_main_process() -> bool:
    import os

    return os.environ.get("RANK", "0") == "0"
