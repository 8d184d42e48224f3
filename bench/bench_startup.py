"""Start-up time of the real application, from process start (run under xvfb-run).

    python bench/bench_startup.py [--runs 5] [--bundle dist/voxstudio/voxstudio]

Each run starts a fresh process -- ``python main.py`` (the source app) and, where
a bundle has been built, the one-folder executable -- with the hidden
``--startup-report JSON`` option: the app writes the wall-clock moment its
window was first painted and the moment the first generated shape was drawn,
then quits. The figures are those moments minus the moment this script started
the process, so the interpreter's (or the bundle's unpacking) start-up, imports,
window construction and model loading are all counted.

Without a display the script re-runs itself under ``xvfb-run -a`` (one X server
for all runs, started before the clock). Settings go to a temporary
``XDG_CONFIG_HOME`` so the user's window layout is never touched or used.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve()
ROOT = HERE.parents[1]
DEFAULT_BUNDLE = ROOT / "dist" / "voxstudio" / "voxstudio"
WINDOW_TARGET_S = 1.5
SHAPE_TARGET_S = 3.0


def time_one(command: list[str], timeout_s: float = 180.0) -> dict[str, float]:
    """Start ``command`` (plus ``--startup-report``) once; seconds from start to each milestone."""
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "startup.json"
        env = {k: v for k, v in os.environ.items() if k not in {"VOXSTUDIO_WEIGHTS", "PYTHONPATH"}}
        env.update(XDG_CONFIG_HOME=str(Path(folder) / "config"), QT_QPA_PLATFORM="xcb")
        started = time.time()
        done = subprocess.run([*command, "--startup-report", str(report)], cwd=folder, env=env,
                              capture_output=True, text=True, timeout=timeout_s, check=False)
        if done.returncode != 0 or not report.exists():
            raise RuntimeError(f"{command[0]} exited with {done.returncode}:\n{done.stderr[-3000:]}")
        stamps = json.loads(report.read_text())
    return {key: stamps[key] - started for key in ("window", "first_shape") if key in stamps}


def bench(kind: str, command: list[str], runs: int) -> dict:
    """Median over ``runs`` fresh processes (one untimed warm-up run fills the disk cache)."""
    time_one(command)
    rows = [time_one(command) for _ in range(runs)]
    figures = {"kind": kind, "runs": runs,
               "window_s": statistics.median(r["window"] for r in rows),
               "first_shape_s": statistics.median(r["first_shape"] for r in rows),
               "window_samples": [r["window"] for r in rows],
               "first_shape_samples": [r["first_shape"] for r in rows]}
    print(f"{kind:<7} window visible {figures['window_s']:6.2f} s   first shape {figures['first_shape_s']:6.2f} s"
          f"   (median of {runs}; window {', '.join(f'{v:.2f}' for v in figures['window_samples'])})", flush=True)
    return figures


def commands(bundle: Path | None) -> list[tuple[str, list[str]]]:
    found = [("source", [sys.executable, str(ROOT / "main.py")])]
    if bundle is not None and bundle.is_file() and os.access(bundle, os.X_OK):
        found.append(("bundle", [str(bundle)]))
    return found


def run(quick: bool = False) -> list:
    """Figures for bench/run.py (in a child process, under xvfb-run when there is no display)."""
    from common import STARTUP, Result, run_json_child, skipped

    try:
        data = run_json_child(HERE, ["--runs", "2" if quick else "5"])
    except FileNotFoundError as error:
        return [skipped(STARTUP, "window visible after start", "s", str(error))]
    results = []
    for f in data:
        label = "source (python main.py)" if f["kind"] == "source" else "bundle (one-folder executable)"
        results += [
            Result(STARTUP, f"{label}: window visible after start", f["window_s"], "s", runs=f["runs"],
                   note=f"target <= {WINDOW_TARGET_S} s"),
            Result(STARTUP, f"{label}: first shape after start", f["first_shape_s"], "s", runs=f["runs"],
                   note=f"target <= {SHAPE_TARGET_S} s; shipped weights"),
        ]
    if not any(f["kind"] == "bundle" for f in data):
        results.append(skipped(STARTUP, "bundle: window visible after start", "s",
                               f"no bundle at {DEFAULT_BUNDLE.relative_to(ROOT)} (packaging/build.sh)"))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed fresh processes per app (default 5)")
    parser.add_argument("--bundle", type=Path, default=DEFAULT_BUNDLE, help="bundle executable, when built")
    parser.add_argument("--source-only", action="store_true", help="skip the bundle")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args()
    if not os.environ.get("DISPLAY") and shutil.which("xvfb-run"):
        os.execvp("xvfb-run", ["xvfb-run", "-a", "-s", "-screen 0 1920x1080x24", sys.executable, *sys.argv])
    figures = [bench(kind, command, args.runs) for kind, command in commands(None if args.source_only else args.bundle)]
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
