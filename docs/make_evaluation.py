"""Regenerate docs/evaluation.md and its figures (docs/images/eval_*.png) with one command.

    python docs/make_evaluation.py [--weights weights] [--data data/proc32] [--device cpu]

What it measures, always through the project's own evaluation code
(``voxstudio.training.evaluate`` and ``voxstudio.training.gan_metrics``):

1. the capsule network and the CNN baseline on the procedural test split:
   accuracy (with a 95 % interval), per-class accuracy, confusion matrices;
2. the GAN: COV / MMD / 1-NNA per class against the test split and the
   capsule network's agreement with the requested class, next to the same set
   metrics for *real training shapes* against the test split (what a generator
   that matched the data distribution would score), and a per-class grid of
   samples rendered to PNG;
3. generalisation: both classifiers on an independent "mesh-built" held-out set
   (docs/meshbuilt_set.py: furniture modelled as triangle soups with other code
   than the procedural generators, imported with ``voxstudio dataset
   import-modelnet``), shape by shape.

Missing weights are reported as missing (the page says so) instead of failing.
``--data`` defaults to ``data/proc32``; when that folder does not exist it is
built with the documented command (600 shapes per class, seed 0).
``--quick`` uses tiny sample counts (tests); its numbers are not to be quoted.
Numbers also go to docs/evaluation.json.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(DOCS))

import meshbuilt_set  # noqa: E402 - sibling script in docs/

KINDS = ("capsnet", "baseline")


@dataclass
class Options:
    weights: Path
    data: Path
    out: Path  # the Markdown page; images go to out.parent / "images"
    device: str = "cpu"
    quick: bool = False
    gan_per_class: int = 120
    sample_columns: int = 6
    meshbuilt_per_class: int = meshbuilt_set.STYLES_PER_CLASS

    @property
    def images(self) -> Path:
        return self.out.parent / "images"


@dataclass
class Evaluation:
    """Everything the page shows; also written as JSON."""

    options: Options
    data_meta: dict[str, Any] = field(default_factory=dict)
    classifiers: dict[str, Any] = field(default_factory=dict)  # kind -> ClassifierReport | None
    gan: dict[str, Any] | None = None
    gan_reference: dict[str, float] | None = None
    gan_problem: str = ""
    gan_structure: dict[str, dict[str, float]] = field(default_factory=dict)  # class -> shares, GAN and real
    meshbuilt: dict[str, Any] = field(default_factory=dict)  # kind -> ClassifierReport
    meshbuilt_rows: list[dict[str, Any]] = field(default_factory=list)
    images: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


# --------------------------------------------------------------------------- helpers


def wilson_interval(correct: int, total: int, z: float = 1.96) -> tuple[float, float]:
    """95 % Wilson score interval of a proportion (sensible for small n and p near 1)."""
    if total == 0:
        return (math.nan, math.nan)
    p = correct / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return (max(0.0, centre - half), min(1.0, centre + half))


def structure_shares(grids: np.ndarray) -> tuple[float, float]:
    """Share of grids in one piece (a single 26-connected component) and share standing on the
    ground (lowest occupied layer z <= 1, the data convention).  Set metrics on 1 - IoU barely
    notice a few floating voxels; a user sees them at once."""
    from scipy import ndimage

    if len(grids) == 0:
        return (math.nan, math.nan)
    one_piece = [ndimage.label(g, structure=np.ones((3, 3, 3)))[1] == 1 for g in grids]
    grounded = [bool(g[:, :, :2].any()) for g in grids]
    return (float(np.mean(one_piece)), float(np.mean(grounded)))


def ensure_dataset(path: Path) -> Path:
    """The procedural dataset the weights were trained on; built with the documented command if missing."""
    if (path / "meta.json").is_file():
        return path
    from voxstudio.cli import main as voxstudio

    print(f"{path} not found: building it (voxstudio dataset build --per-class 600 --seed 0)", flush=True)
    code = voxstudio(["dataset", "build", "--out", str(path), "--per-class", "600", "--seed", "0"])
    if code != 0:
        raise SystemExit(f"could not build {path}")
    return path


def _has_weights(weights: Path, stem: str) -> bool:
    from voxstudio.models.weights import weights_exist

    return weights_exist(weights / stem)


def _montage(rows: list[tuple[str, list[np.ndarray]]], path: Path, tile: tuple[int, int] = (130, 120),
             label_width: int = 96) -> Path:
    """Render voxel grids (one labelled row each) with the project's offscreen renderer."""
    from make_dataset_samples import _tile  # same renderer/cropping as docs/images/dataset_samples.png
    from PIL import Image, ImageDraw

    columns = max(len(grids) for _, grids in rows)
    width, height = tile
    sheet = Image.new("RGB", (label_width + columns * width, len(rows) * height), "white")
    draw = ImageDraw.Draw(sheet)
    for r, (label, grids) in enumerate(rows):
        for line, text in enumerate(label.split("\n")):
            draw.text((6, r * height + height // 2 - 6 + 13 * line), text, fill="black")
        for c, grid in enumerate(grids):
            if grid.any():
                sheet.paste(_tile(grid, tile), (label_width + c * width, r * height))
            else:
                draw.text((label_width + c * width + 30, r * height + height // 2), "(empty)", fill="grey")
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.convert("P", palette=Image.Palette.ADAPTIVE, colors=128).save(path, optimize=True)
    return path


# --------------------------------------------------------------------------- sections


def evaluate_classifiers(ev: Evaluation) -> None:
    from voxstudio.training.evaluate import evaluate_classifier, save_confusion_png

    o = ev.options
    for kind in KINDS:
        if not _has_weights(o.weights, kind):
            ev.classifiers[kind] = None
            continue
        report = evaluate_classifier(kind, o.data, o.weights, device=o.device)
        ev.classifiers[kind] = report
        name = f"eval_confusion_{kind}.png"
        save_confusion_png(o.images / name, report)
        ev.images[f"confusion_{kind}"] = name
        print(f"{kind}: {100 * report.accuracy:.2f}% on {report.num_samples} test shapes", flush=True)


def evaluate_gan_section(ev: Evaluation) -> None:
    """GAN set metrics + class agreement, the real-data reference, and the sample grid."""
    from voxstudio.data.dataset import load_split
    from voxstudio.training.gan_metrics import evaluate_gan, evaluate_generator

    o = ev.options
    if not _has_weights(o.weights, "gan"):
        ev.gan_problem = f"no generator weights ({o.weights / 'gan.safetensors'}) yet"
        return
    ev.gan = evaluate_gan(o.weights, o.data, split="test", device=o.device, max_per_class=o.gan_per_class)

    # Reference: real training shapes in the generator's place (same per-class counts, same code).
    train = load_split(o.data, "train")
    test = load_split(o.data, "test")
    rng = np.random.default_rng(0)

    def real_shapes(z: np.ndarray, ids: np.ndarray) -> np.ndarray:
        pool = np.flatnonzero(train.labels == ids[0])
        pick = rng.choice(pool, size=len(z), replace=len(z) > len(pool))
        return train.voxels[pick].astype(np.float32)

    ev.gan_reference = evaluate_generator(real_shapes, np.asarray(test.voxels), np.asarray(test.labels), latent_dim=1,
                                          max_per_class=o.gan_per_class, seed=0)

    from voxstudio.models.engine import VoxelEngine

    engine = VoxelEngine.load(o.weights, device=o.device)
    count = 4 if o.quick else 100
    for class_id, name in enumerate(engine.classes):
        z = rng.standard_normal((count, engine.latent_dim)).astype(np.float32)
        generated = np.concatenate([engine.generate(z[i:i + 50], np.full(len(z[i:i + 50]), class_id))
                                    for i in range(0, count, 50)]) > 0.5
        gen_piece, gen_ground = structure_shares(generated)
        real_piece, real_ground = structure_shares(test.voxels[test.labels == class_id][:count])
        ev.gan_structure[name] = {"samples": count, "gan_one_piece": gen_piece, "gan_grounded": gen_ground,
                                  "real_one_piece": real_piece, "real_grounded": real_ground}
    rows = []
    for class_id, name in enumerate(engine.classes):
        grids = [engine.generate(engine.latent_for_seed(seed), class_id) > 0.5 for seed in range(o.sample_columns)]
        rows.append((name, grids))
    ev.images["gan_samples"] = _montage(rows, o.images / "eval_gan_samples.png").name


def evaluate_meshbuilt(ev: Evaluation) -> None:
    """Build the held-out meshes, import them with the CLI, evaluate both classifiers shape by shape."""
    from voxstudio.core.io import load_voxels
    from voxstudio.data.dataset import load_split
    from voxstudio.models import load_classifier
    from voxstudio.models.voting import YAW_VOTES
    from voxstudio.training.evaluate import classify, evaluate_classifier, resolve_weights, save_confusion_png

    o = ev.options
    with tempfile.TemporaryDirectory() as tmp:
        tree = meshbuilt_set.write_tree(Path(tmp) / "meshes", per_class=o.meshbuilt_per_class)
        data = meshbuilt_set.import_tree(tree, Path(tmp) / "dataset")
        held_out = load_split(data, "test")
        # import-modelnet walks class folders and files in sorted order; map samples back to styles
        files = sorted(tree.glob("*/test/*.off"))
        if len(files) != len(held_out.labels):
            raise RuntimeError(f"{len(files) - len(held_out.labels)} mesh-built files were skipped by the importer")
        if not np.array_equal(load_voxels(files[0], 32, up="z"), held_out.voxels[0]):
            raise RuntimeError("sample order of the imported set does not follow the file order")
        rows = [{"class": f.parent.parent.name, "file": f.name,
                 "style": meshbuilt_set.style_name(f.parent.parent.name, int(f.stem.rsplit("_", 1)[1]))}
                for f in files]
        for kind in KINDS:
            if ev.classifiers.get(kind) is None:
                continue
            report = evaluate_classifier(kind, data, o.weights, device=o.device)
            ev.meshbuilt[kind] = report
            name = f"eval_meshbuilt_confusion_{kind}.png"
            save_confusion_png(o.images / name, report)
            ev.images[f"meshbuilt_confusion_{kind}"] = name
            model, config = load_classifier(resolve_weights(o.weights, kind), device=o.device)
            # as the evaluator (and the app) answers: voted over four yaws, "none of these" below the threshold
            result = classify(model, held_out.voxels, device=o.device, votes=YAW_VOTES)
            threshold = config.get("none_threshold")
            for row, p, probs, presence in zip(rows, result.predicted, result.probabilities, result.presence):
                none = threshold is not None and presence < float(threshold)
                row[kind] = "none of these" if none else config["classes"][int(p)]
                row[f"{kind}_confidence"] = float(probs[int(p)])
            print(f"{kind}: {100 * report.accuracy:.1f}% on {report.num_samples} mesh-built shapes", flush=True)
        ev.meshbuilt_rows = rows
        by_class: dict[str, list[np.ndarray]] = {}
        for row, grid in zip(rows, held_out.voxels):
            by_class.setdefault(row["class"], []).append(grid)
        ev.images["meshbuilt_samples"] = _montage(list(by_class.items()), o.images / "eval_meshbuilt_samples.png").name


# --------------------------------------------------------------------------- page


def _pct(x: float | None) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.1f} %"


def _accuracy_cell(report: Any) -> str:
    correct = int(np.trace(report.confusion))
    lo, hi = wilson_interval(correct, report.num_samples)
    return f"**{_pct(report.accuracy)}** ({correct}/{report.num_samples}; 95 % CI {_pct(lo)} to {_pct(hi)})"


def _confusions(report: Any, top: int = 4) -> list[str]:
    """The most frequent off-diagonal (true -> predicted) pairs."""
    pairs = []
    c = report.confusion
    for i in range(c.shape[0]):
        for k in range(c.shape[1]):
            if i != k and c[i, k]:
                pairs.append((int(c[i, k]), report.classes[i], report.classes[k]))
    pairs.sort(reverse=True)
    return [f"{true} -> {pred} ({n})" for n, true, pred in pairs[:top]]


def render_markdown(ev: Evaluation) -> str:
    o = ev.options
    available = [k for k in KINDS if ev.classifiers.get(k) is not None]
    L: list[str] = [
        "# Evaluation",
        "",
        "<!-- Generated by `python docs/make_evaluation.py`; edit that script, not this page. -->",
        "",
        f"Regenerate everything on this page (numbers and `docs/images/eval_*.png`) with "
        f"`python docs/make_evaluation.py` (took {ev.seconds / 60:.0f} min on a 2-core CPU). "
        f"Weights: `{_rel(o.weights)}`; data: `{_rel(o.data)}` "
        f"({ev.data_meta.get('source', '?')}, {ev.data_meta.get('resolution', '?')}^3, "
        f"seed {ev.data_meta.get('seed', '?')}, test split of {sum(ev.data_meta.get('counts', {}).get('test', {}).values())} shapes).",
    ]
    if o.quick:
        L += ["", "> **Quick run** (`--quick`): tiny sample counts, figures not to be quoted."]

    # ---------------------------------------------------------------- classifiers
    L += ["", "## Classifiers on the procedural test split", ""]
    if not available:
        L.append("No classifier weights found: nothing to report yet.")
    else:
        L += ["| | " + " | ".join(available) + " |", "|---|" + "---|" * len(available)]
        L.append("| test accuracy | " + " | ".join(_accuracy_cell(ev.classifiers[k]) for k in available) + " |")
        L.append("| most frequent confusions | "
                 + " | ".join(", ".join(_confusions(ev.classifiers[k])) or "none" for k in available) + " |")
        L += ["", "Per-class accuracy:", "", "| class | " + " | ".join(available) + " |", "|---|" + "---|" * len(available)]
        classes = ev.classifiers[available[0]].classes
        for i, name in enumerate(classes):
            L.append(f"| {name} | " + " | ".join(_pct(float(ev.classifiers[k].per_class[i])) for k in available) + " |")
        for k in available:
            L += ["", f"![{k} confusion matrix](images/{ev.images[f'confusion_{k}']})"]
    for k in KINDS:
        if ev.classifiers.get(k) is None:
            L += ["", f"_{k}: no weights (`{_rel(o.weights / (k + '.safetensors'))}`) yet._"]

    # ---------------------------------------------------------------- GAN
    L += ["", "## Generator (class-conditional GAN)", ""]
    if ev.gan is None:
        L.append(f"Not measured: {ev.gan_problem}.")
    else:
        m, ref = ev.gan["metrics"], ev.gan_reference or {}
        n = ev.gan["per_class_samples"]
        L += [
            f"Per class, as many shapes are generated as the test split holds (up to {n}) and compared with the test "
            "shapes using the distance 1 - IoU (`voxstudio.training.gan_metrics`). **MMD** (fidelity, lower is "
            "better): mean distance from a test shape to its closest generated shape. **COV** (diversity, higher is "
            "better): share of test shapes that are the nearest neighbour of some generated shape. **1-NNA**: "
            "leave-one-out 1-nearest-neighbour accuracy at telling generated from test shapes; 50 % means "
            "indistinguishable, 100 % means every shape's nearest neighbour comes from its own set. "
            "**Class agreement**: share of generated shapes the capsule network assigns to the requested class. "
            "The *real data* column puts training shapes in the generator's place (same counts, same code): "
            "it is what a generator that reproduced the data distribution would score.",
            "",
            "| metric (mean over classes) | GAN | real data (train vs test) |",
            "|---|---:|---:|",
            f"| MMD (1 - IoU) | {m['mmd']:.3f} | {ref.get('mmd', float('nan')):.3f} |",
            f"| COV | {_pct(m['cov'])} | {_pct(ref.get('cov'))} |",
            f"| 1-NNA | {_pct(m['1nna'])} | {_pct(ref.get('1nna'))} |",
            f"| class agreement (capsnet) | {_pct(m.get('class_agreement'))} | "
            f"{_pct(ev.classifiers['capsnet'].accuracy) if ev.classifiers.get('capsnet') else 'n/a'} (capsnet test accuracy) |",
            "",
            "Per class:",
            "",
            "| class | MMD | COV | 1-NNA | class agreement |",
            "|---|---:|---:|---:|---:|",
        ]
        for name, v in ev.gan["per_class"].items():
            L.append(f"| {name} | {v['mmd']:.3f} | {_pct(v['cov'])} | {_pct(v['1nna'])} | {_pct(v.get('class_agreement'))} |")
        worst = sorted(ev.gan["per_class"].items(), key=lambda kv: -kv[1]["1nna"])[:3]
        L += ["", "Easiest classes to tell from real shapes (highest 1-NNA): "
              + ", ".join(f"{k} ({_pct(v['1nna'])})" for k, v in worst) + ".",
              ""]
        if ev.gan_structure:
            st = ev.gan_structure
            n_samples = next(iter(st.values()))["samples"]

            def mean(key: str) -> float:
                return float(np.nanmean([v[key] for v in st.values()]))

            L += ["**Structure** (not seen by the set metrics): share of shapes in one piece (a single "
                  "26-connected component, i.e. no floating fragments) and standing on the ground (lowest voxel "
                  f"layer z <= 1), for {n_samples} generated shapes per class (random latents, thresholded at 0.5) "
                  "and as many real test shapes.", "",
                  "| class | one piece: GAN | real | on the ground: GAN | real |", "|---|---:|---:|---:|---:|"]
            for name, v in st.items():
                L.append(f"| {name} | {_pct(v['gan_one_piece'])} | {_pct(v['real_one_piece'])} | "
                         f"{_pct(v['gan_grounded'])} | {_pct(v['real_grounded'])} |")
            L.append(f"| **mean** | **{_pct(mean('gan_one_piece'))}** | {_pct(mean('real_one_piece'))} | "
                     f"**{_pct(mean('gan_grounded'))}** | {_pct(mean('real_grounded'))} |")
            worst = sorted(st.items(), key=lambda kv: kv[1]["gan_one_piece"])[:3]
            L += ["", "Fewest one-piece samples: " + ", ".join(f"{k} ({_pct(v['gan_one_piece'])})" for k, v in worst)
                  + ". The sample grid below shows where the fragments are.", ""]
        L += [f"Samples (seeds 0-{o.sample_columns - 1}, one row per class, thresholded at 0.5):",
              "", f"![GAN samples per class](images/{ev.images['gan_samples']})"]

    # ---------------------------------------------------------------- mesh-built
    L += ["", "## Generalisation: an independent mesh-built held-out set", ""]
    if not ev.meshbuilt:
        L.append("Not measured (no classifier weights).")
    else:
        per_class = o.meshbuilt_per_class
        total = len(ev.meshbuilt_rows)
        L += [
            "No real ModelNet/ShapeNet data is available to this project, and a classifier that is perfect on the "
            "procedural toys it was trained on can still fail on a user's real chair. As a stand-in, "
            f"`docs/meshbuilt_set.py` models {per_class} piece(s) of furniture per class, each in a different style, "
            "as **triangle meshes** "
            "(trimesh cylinders, spheres, tilted and rotated boxes, splayed legs, open shells; parts touch or "
            "overlap and are never merged), with construction code independent of the procedural voxel generators "
            "and styles taken from real furniture (swivel chairs on five-star bases, cantilever tube chairs, CRT "
            "monitors, clawfoot tubs, pedestal tables, ...). They are written as a ModelNet-like tree "
            "(`<class>/test/*.off`) and voxelised by `voxstudio dataset import-modelnet`, exactly as a user's "
            "ModelNet download would be.",
            "",
            "| | " + " | ".join(ev.meshbuilt) + " |",
            "|---|" + "---|" * len(ev.meshbuilt),
            "| accuracy, mesh-built set | " + " | ".join(_accuracy_cell(ev.meshbuilt[k]) for k in ev.meshbuilt) + " |",
            "| accuracy, procedural test split | " + " | ".join(_pct(ev.classifiers[k].accuracy) for k in ev.meshbuilt) + " |",
            "| change from procedural to mesh-built | "
            + " | ".join(f"{100 * (ev.meshbuilt[k].accuracy - ev.classifiers[k].accuracy):+.1f} points"
                         for k in ev.meshbuilt) + " |",
            "| most frequent confusions | " + " | ".join(", ".join(_confusions(ev.meshbuilt[k])) or "none"
                                                       for k in ev.meshbuilt) + " |",
            "| mean confidence when right / when wrong | "
            + " | ".join(_confidence_split(ev.meshbuilt_rows, k) for k in ev.meshbuilt) + " |",
            "",
            "Confidence is the probability of the predicted class: normalised capsule lengths for capsnet "
            "(rarely near 100 % with 12 classes), softmax for the baseline. A useful classifier is less sure "
            "when it is wrong.",
            "",
            f"With {total} shapes the interval is wide: one shape is {100 / total:.1f} points. "
            + _honest_summary(ev),
            "",
            "Shape by shape (wrong predictions in bold):",
            "",
            "| class | style | " + " | ".join(ev.meshbuilt) + " |",
            "|---|---|" + "---|" * len(ev.meshbuilt),
        ]
        for row in ev.meshbuilt_rows:
            cells = []
            for k in ev.meshbuilt:
                text = f"{row[k]} ({100 * row[k + '_confidence']:.0f} %)"
                cells.append(text if row[k] == row["class"] else f"**{text}**")
            L.append(f"| {row['class']} | {row['style']} | " + " | ".join(cells) + " |")
        L += ["", "The held-out shapes as the classifiers see them (after `import-modelnet` voxelisation, 32^3):", "",
              f"![mesh-built held-out set](images/{ev.images['meshbuilt_samples']})"]
        for k in ev.meshbuilt:
            L += ["", f"![{k} confusion on the mesh-built set](images/{ev.images[f'meshbuilt_confusion_{k}']})"]
    L += ["", "## Limitations", "",
          "- All figures except the last section are on procedural data drawn from the same generators as the "
          "training data; they measure fitting, not real-world accuracy.",
          "- The mesh-built set is small and was written by one engineer of this project: it is independent "
          "code, not independent data. Its styles are plausible furniture, but real scans and CAD models "
          "(ModelNet, ShapeNet) have more clutter, odd scales, interior faces and mislabelled orientations. "
          "Treat its accuracy as an optimistic bound for real data and measure on ModelNet "
          "(`voxstudio dataset import-modelnet`, then `voxstudio evaluate`) before relying on the classifier.",
          "- GAN metrics use 1 - IoU on 32^3 grids; they reward matching voxel layouts, not perceived quality: "
          "look at the sample grid.", ""]
    return "\n".join(L)


def _confidence_split(rows: list[dict[str, Any]], kind: str) -> str:
    right = [r[f"{kind}_confidence"] for r in rows if r[kind] == r["class"]]
    wrong = [r[f"{kind}_confidence"] for r in rows if r[kind] != r["class"]]
    return (f"{_pct(float(np.mean(right))) if right else 'n/a'} / "
            f"{_pct(float(np.mean(wrong))) if wrong else 'n/a'}")


def _honest_summary(ev: Evaluation) -> str:
    parts = []
    for k, report in ev.meshbuilt.items():
        drop = ev.classifiers[k].accuracy - report.accuracy
        wrong = [f"{r['class']} ({r['style']}) as {r[k]}" for r in ev.meshbuilt_rows if r.get(k) != r["class"]]
        trend = f"loses {100 * drop:.0f} points against" if drop > 0 else f"scores {100 * -drop:.0f} points above"
        parts.append(f"**{k}** {trend} its procedural score"
                     + (f" and misreads {len(wrong)}: {', '.join(wrong)}" if wrong else ""))
    text = "; ".join(parts) + "."
    if len(ev.meshbuilt) == 2:
        (a, ra), (b, rb) = ev.meshbuilt.items()
        gap = abs(int(np.trace(ra.confusion)) - int(np.trace(rb.confusion)))
        if gap <= 3:
            text += (f" {a} and {b} differ by {gap} shape(s): on this set neither generalises measurably better "
                     "than the other.")
    return text


def _rel(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def to_json(ev: Evaluation) -> dict[str, Any]:
    return {
        "weights": _rel(ev.options.weights),
        "data": _rel(ev.options.data),
        "quick": ev.options.quick,
        "classifiers": {k: (None if r is None else r.to_dict()) for k, r in ev.classifiers.items()},
        "gan": ev.gan,
        "gan_real_data_reference": ev.gan_reference,
        "gan_structure": ev.gan_structure,
        "meshbuilt": {k: r.to_dict() for k, r in ev.meshbuilt.items()},
        "meshbuilt_shapes": ev.meshbuilt_rows,
        "images": ev.images,
    }


def run(options: Options) -> Evaluation:
    from voxstudio.data.dataset import read_meta

    started = time.perf_counter()
    options.data = ensure_dataset(options.data)
    ev = Evaluation(options, data_meta=read_meta(options.data))
    evaluate_classifiers(ev)
    evaluate_gan_section(ev)
    evaluate_meshbuilt(ev)
    ev.seconds = time.perf_counter() - started
    options.out.parent.mkdir(parents=True, exist_ok=True)
    options.out.write_text(render_markdown(ev), encoding="utf-8")
    options.out.with_suffix(".json").write_text(json.dumps(to_json(ev), indent=2) + "\n", encoding="utf-8")
    return ev


def main(argv: list[str] | None = None) -> int:
    from voxstudio.paths import weights_dir

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", type=Path, default=None, help="weights folder (default: the shipped weights/)")
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "proc32",
                        help="procedural dataset folder (default: data/proc32, built if missing)")
    parser.add_argument("--out", type=Path, default=DOCS / "evaluation.md",
                        help="Markdown page to write; images go to its folder's images/ (default: docs/evaluation.md)")
    parser.add_argument("--device", default="cpu", help="cpu | cuda | auto (default: cpu)")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (default: 2)")
    parser.add_argument("--quick", action="store_true", help="tiny sample counts (smoke test; numbers not to quote)")
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(args.threads)
    options = Options(weights=args.weights or Path(weights_dir()), data=args.data, out=args.out, device=args.device,
                      quick=args.quick)
    if args.quick:
        options.gan_per_class, options.sample_columns, options.meshbuilt_per_class = 6, 2, 1
    ev = run(options)
    print(f"wrote {options.out} and {options.out.with_suffix('.json')} in {ev.seconds:.0f} s; images: "
          + ", ".join(sorted(ev.images.values())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
