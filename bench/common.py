"""Shared pieces of the benchmark scripts: the Result record, THE timing helper, table output.

Every ``bench/bench_*.py`` exposes ``run(quick: bool) -> list[Result]`` (and keeps
its own command line that prints its figures); ``bench/run.py`` calls them all
and writes one Markdown + JSON table.  Keeping the timing rule in one place
(:func:`measure`: warm-up calls, then the median of several timed runs, with an
optional device synchronisation) means every figure in the table is measured
the same way.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

# Section titles, in table order.  Scripts tag their results with one of these so
# run.py can check that every section of the issue is present (even if skipped).
DATASET = "Dataset build"
MESHING = "Meshing"
GENERATOR = "Generator latency"
CLASSIFIER = "Classifier latency"
TRAINING = "Training throughput"
GUI = "GUI slider-to-frame"
MEMORY = "Peak memory"
INVERSION = "Latent inversion"
STARTUP = "Start-up"
PACKAGING = "Bundle and release archive"
LARGE_MESHES = "Large meshes"
SECTIONS: tuple[str, ...] = (DATASET, MESHING, GENERATOR, CLASSIFIER, TRAINING, GUI, STARTUP, MEMORY, INVERSION,
                             LARGE_MESHES, PACKAGING)

# Units where a smaller number is better; every other unit (".../s") is a rate.
_LOWER_IS_BETTER = {"s", "ms", "us", "MB", "MiB"}


@dataclass
class Timing:
    """Median wall time of ``runs`` timed calls (after the warm-up), all samples kept."""

    median_s: float
    samples_s: list[float]

    @property
    def median_ms(self) -> float:
        return 1e3 * self.median_s

    @property
    def runs(self) -> int:
        return len(self.samples_s)

    def rate(self, items: float) -> float:
        """Items per second at the median time (e.g. samples/s for a batch of ``items``)."""
        return items / self.median_s if self.median_s > 0 else float("inf")


def measure(
    fn: Callable[[], object],
    repeats: int,
    warmup: int = 1,
    sync: Callable[[], object] | None = None,
) -> Timing:
    """Call ``fn`` ``warmup`` times untimed, then ``repeats`` times timed; return the median.

    ``sync`` (e.g. ``torch.cuda.synchronize``) runs after every call *inside* the
    timed interval, so asynchronous GPU work is counted where it happens.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    for _ in range(warmup):
        fn()
        if sync is not None:
            sync()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        if sync is not None:
            sync()
        samples.append(time.perf_counter() - start)
    return Timing(statistics.median(samples), samples)


@dataclass
class Result:
    """One figure of the benchmark table.

    ``value`` is None when the figure could not be measured here (no CUDA, no
    display, a script not landed yet); ``note`` then says why.  A figure with a
    simple reference measured in the same run carries ``reference`` (what it
    is) and ``reference_value``; :attr:`ratio` is then the speed-up over it.
    """

    section: str
    name: str
    value: float | None
    unit: str
    runs: int = 0
    reference: str | None = None
    reference_value: float | None = None
    note: str = ""
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def lower_is_better(self) -> bool:
        return self.unit in _LOWER_IS_BETTER

    @property
    def ratio(self) -> float | None:
        """How many times better than the reference (> 1: faster / smaller / more per second)."""
        if self.value is None or self.reference_value is None or self.value <= 0 or self.reference_value <= 0:
            return None
        if self.lower_is_better:
            return self.reference_value / self.value
        return self.value / self.reference_value

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ratio"] = self.ratio
        return data


def display_prefix() -> list[str] | None:
    """How to give a GUI child process a display: [] (there is one), xvfb-run, or None (cannot)."""
    import shutil

    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return []
    if shutil.which("xvfb-run"):
        return ["xvfb-run", "-a", "-s", "-screen 0 1920x1080x24"]
    return None


def run_json_child(script: Path, args: Sequence[str], timeout: float = 1800) -> Any:
    """Run a GUI bench script in a child process (under xvfb-run when there is no display)
    with ``--json FILE`` and return what it wrote; FileNotFoundError when no display can be had."""
    import tempfile

    prefix = display_prefix()
    if prefix is None:
        raise FileNotFoundError("no display and no xvfb-run")
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "figures.json"
        done = subprocess.run([*prefix, sys.executable, str(script), *args, "--json", str(out)],
                              timeout=timeout, check=False)
        if done.returncode != 0 or not out.exists():
            raise RuntimeError(f"{script.name} exited with status {done.returncode}")
        return json.loads(out.read_text())


def skipped(section: str, name: str, unit: str, why: str) -> Result:
    """A row that says why a figure is missing on this machine."""
    return Result(section, name, None, unit, note=f"skipped: {why}")


def timed_result(
    section: str,
    name: str,
    timing: Timing,
    unit: str = "ms",
    items: float = 1.0,
    reference: tuple[str, Timing] | None = None,
    note: str = "",
    **params: Any,
) -> Result:
    """A Result from a :class:`Timing`: ``unit`` "ms"/"s" gives the median time,
    a rate unit (e.g. "samples/s") gives ``items`` per median second.  A reference
    timing is converted the same way, so :attr:`Result.ratio` compares like with like.
    """

    def convert(t: Timing) -> float:
        if unit == "ms":
            return t.median_ms
        if unit == "s":
            return t.median_s
        return t.rate(items)

    return Result(
        section=section,
        name=name,
        value=convert(timing),
        unit=unit,
        runs=timing.runs,
        reference=None if reference is None else reference[0],
        reference_value=None if reference is None else convert(reference[1]),
        note=note,
        params=params,
    )


def print_results(results: Iterable[Result], file: Any = None) -> None:
    """Plain aligned lines, for the individual scripts' ``--json``-less output."""
    for r in results:
        print(f"  {r.section:<22} {r.name:<44} {format_value(r.value, r.unit):>14}"
              + (f"  ({format_ratio(r.ratio)} vs {r.reference})" if r.ratio is not None else "")
              + (f"  {r.note}" if r.note else ""), file=file or sys.stdout, flush=True)


# --------------------------------------------------------------------------- environment


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _git_commit(root: Path) -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True,
                             timeout=10, check=False)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def environment(quick: bool) -> dict[str, Any]:
    """What the figures depend on: hardware, threads, library versions, commit."""
    import numpy as np
    import torch

    env: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "commit": _git_commit(Path(__file__).resolve().parent.parent),
        "quick": quick,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu": _cpu_name(),
        "cpu_count": os.cpu_count(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "numpy": np.__version__,
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
    }
    with contextlib.suppress(OSError):
        env["load_average"] = [round(x, 2) for x in os.getloadavg()]
    return env


# --------------------------------------------------------------------------- output


def format_value(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    if value >= 1000:
        text = f"{value:,.0f}"
    elif value >= 100:
        text = f"{value:.0f}"
    elif value >= 10:
        text = f"{value:.1f}"
    elif value >= 1:
        text = f"{value:.2f}"
    else:
        text = f"{value:.3f}"
    return f"{text} {unit}"


def format_ratio(ratio: float | None) -> str:
    if ratio is None:
        return ""
    return f"{ratio:,.0f}x" if ratio >= 100 else f"{ratio:.1f}x" if ratio >= 10 else f"{ratio:.2f}x"


def markdown_table(results: Sequence[Result], env: dict[str, Any], sections: Sequence[str] = SECTIONS) -> str:
    """The Markdown report: an environment line, then one table per section."""
    lines = [
        "# VoxStudio benchmarks",
        "",
        f"Measured {env['date']} at commit `{env['commit']}`"
        + (" with `--quick` (tiny sizes: a smoke run, not figures to quote)" if env.get("quick") else "")
        + ".",
        "",
        f"- CPU: {env['cpu']} ({env['cpu_count']} logical CPUs, torch using {env['torch_threads']} threads"
        + (f", load average at start {env['load_average']}" if env.get("load_average") else "") + ")",
        f"- CUDA: {env['cuda'] or 'not available (CUDA rows skipped)'}",
        f"- Python {env['python']}, torch {env['torch']}, numpy {env['numpy']}, {env['platform']}",
        "",
        "Each figure is the median of the timed runs (column *runs*) after a warm-up call. "
        "*vs reference* is the speed-up over the simple reference measured in the same run "
        "(> 1: better than the reference).",
    ]
    for section in sections:
        rows = [r for r in results if r.section == section]
        lines += ["", f"## {section}", ""]
        if not rows:
            lines.append("_no figures (section did not run)_")
            continue
        lines += ["| figure | median | runs | reference | vs reference | note |", "|---|---:|---:|---|---:|---|"]
        for r in rows:
            reference = "" if r.reference is None else f"{r.reference}: {format_value(r.reference_value, r.unit)}"
            lines.append(f"| {r.name} | {format_value(r.value, r.unit)} | {r.runs or ''} | {reference} "
                         f"| {format_ratio(r.ratio)} | {r.note} |")
    extra = [r for r in results if r.section not in sections]
    for r in extra:  # never silently drop a figure with an unexpected section name
        lines.append(f"\n- {r.section} / {r.name}: {format_value(r.value, r.unit)} {r.note}")
    return "\n".join(lines) + "\n"


def write_tables(out_dir: Path, results: Sequence[Result], env: dict[str, Any]) -> tuple[Path, Path]:
    """Write ``benchmarks.md`` and ``benchmarks.json`` under ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    md = out_dir / "benchmarks.md"
    js = out_dir / "benchmarks.json"
    md.write_text(markdown_table(results, env), encoding="utf-8")
    js.write_text(json.dumps({"environment": env, "sections": list(SECTIONS),
                              "results": [r.to_dict() for r in results]}, indent=2) + "\n", encoding="utf-8")
    return md, js
