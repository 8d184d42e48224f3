"""bench/run.py: the timing helper, the table, and a --quick run that fills every section."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))

from common import (  # noqa: E402 - bench/ is not a package
    GENERATOR,
    MESHING,
    SECTIONS,
    Result,
    Timing,
    markdown_table,
    measure,
    timed_result,
)


def test_measure_warms_up_then_takes_the_median(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = iter([0.0, 5.0, 10.0, 11.0, 20.0, 23.0])  # timed runs last 5, 1 and 3 s
    monkeypatch.setattr("common.time.perf_counter", lambda: next(clock))
    calls: list[str] = []
    synced: list[int] = []
    timing = measure(lambda: calls.append("x"), repeats=3, warmup=2, sync=lambda: synced.append(1))
    assert len(calls) == 5 and len(synced) == 5  # warm-up calls are synchronised too, but not timed
    assert timing.samples_s == [5.0, 1.0, 3.0]
    assert timing.median_s == 3.0 and timing.median_ms == 3000.0 and timing.rate(6) == 2.0
    with pytest.raises(ValueError):
        measure(lambda: None, repeats=0)


def test_ratio_is_a_speed_up_for_times_and_rates() -> None:
    fast, slow = Timing(0.002, [0.002]), Timing(0.010, [0.010])
    as_time = timed_result(MESHING, "t", fast, reference=("loop", slow))
    assert as_time.value == pytest.approx(2.0) and as_time.reference_value == pytest.approx(10.0)
    assert as_time.ratio == pytest.approx(5.0)
    as_rate = timed_result(MESHING, "r", fast, unit="shapes/s", items=4, reference=("loop", slow))
    assert as_rate.value == pytest.approx(2000.0) and as_rate.ratio == pytest.approx(5.0)
    assert Result(GENERATOR, "n/a", None, "ms", reference="fp32", reference_value=3.0).ratio is None


def test_markdown_lists_every_section_even_when_empty() -> None:
    env = {"date": "today", "commit": "abc", "quick": True, "cpu": "cpu", "cpu_count": 2, "torch_threads": 2,
           "cuda": None, "python": "3", "torch": "2", "numpy": "2", "platform": "linux"}
    text = markdown_table([timed_result(MESHING, "blocky 32^3", Timing(0.001, [0.001]),
                                        reference=("per-voxel loop", Timing(0.05, [0.05])))], env)
    for section in SECTIONS:
        assert f"## {section}" in text
    assert "| blocky 32^3 | 1.00 ms | 1 | per-voxel loop: 50.0 ms | 50.0x |" in text
    assert "_no figures" in text  # the empty sections say so


@pytest.mark.slow
def test_quick_run_writes_every_section(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(BENCH / "run.py"), "--quick", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    markdown = (tmp_path / "benchmarks.md").read_text()
    report = json.loads((tmp_path / "benchmarks.json").read_text())
    results = report["results"]
    assert report["environment"]["quick"] is True
    for section in SECTIONS:
        assert f"## {section}" in markdown
        rows = [r for r in results if r["section"] == section]
        assert rows, f"no figures for {section}"
        for row in rows:  # every row is a measurement or says why it is missing
            assert (row["value"] is not None and row["value"] > 0) or row["note"].startswith(("skipped", "pending"))
    assert not any(r["note"].startswith("failed") for r in results)

    def row(section: str, start: str) -> dict:
        found = [r for r in results if r["section"] == section and r["name"].startswith(start)]
        assert found, (section, start, [r["name"] for r in results if r["section"] == section])
        return found[0]

    # the comparisons against the simple references are measured in the same run
    assert row("Meshing", "blocky 32^3")["ratio"] > 1  # vectorised beats the per-voxel loop
    assert row("Meshing", "blocky 64^3")["ratio"] > 1
    assert row("Classifier latency", "dynamic routing")["ratio"] > 1  # batched beats the loop
    for name in ("smooth (marching cubes) 32^3", "smooth (marching cubes) 64^3"):
        assert row("Meshing", name)["value"] > 0
    for start in ("32^3, batch 1, cpu", "32^3, batch 8, cpu"):
        assert row("Generator latency", start)["value"] > 0
    assert row("Training throughput", "capsnet train step")["value"] > 0
    assert row("Training throughput", "GAN train step")["value"] > 0
    gui = [r for r in results if r["section"] == "GUI slider-to-frame"]
    assert not any(r["note"].startswith("pending") for r in gui)  # bench_gui.py has landed and is collected
    latency = row("GUI slider-to-frame", "slider->frame latency 32^3")
    assert latency["value"] is not None or latency["note"].startswith("skipped")
    engine_peak = row("Peak memory", "engine only, no GUI (CPU): peak (VmHWM) while generating")["value"]
    engine_idle = row("Peak memory", "engine only, no GUI (CPU): idle RSS")["value"]
    assert 50 < engine_idle <= engine_peak < 8000  # MB, a real process's figures


def test_bundle_parts_count_files_once(tmp_path: Path) -> None:
    """bench_packaging sums regular files by part; links to shared libraries are not counted twice."""
    import bench_packaging

    bundle = tmp_path / "voxstudio"
    (bundle / "_internal" / "torch" / "lib").mkdir(parents=True)
    (bundle / "voxstudio").write_bytes(b"x" * 2**20)
    (bundle / "_internal" / "torch" / "lib" / "libtorch_cpu.so").write_bytes(b"x" * 3 * 2**20)
    (bundle / "_internal" / "libtorch_cpu.so").symlink_to("torch/lib/libtorch_cpu.so")
    (bundle / "_internal" / "libQt6Core.so.6").write_bytes(b"x" * 2**19)
    sizes = bench_packaging.files_mb(bundle)
    assert sizes["torch"] == 3.0 and sizes["Qt (PySide6)"] == 0.5
    assert sizes["executable + Python code archive"] == 1.0 and sizes["total"] == 4.5
    rows = bench_packaging.run(dist=tmp_path)
    assert rows[0].name == "one-folder bundle on disk" and rows[0].value == 4.5
    assert rows[-1].note.startswith("skipped")  # no archive next to it


def test_rss_breakdown_adds_up_to_the_resident_size() -> None:
    import bench_memory

    parts = bench_memory.rss_breakdown_mb()
    resident = bench_memory.read_status_mb()["VmRSS"]
    assert parts["numpy / scipy / others (libraries)"] > 0 and parts["anonymous (heap, tensors, buffers)"] > 0
    assert abs(sum(parts.values()) - resident) < 0.1 * resident
