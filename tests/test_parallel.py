"""voxstudio.data.parallel: the one process-pool + progress-bar loop."""

from __future__ import annotations

import pytest

from voxstudio.data.parallel import imap_progress, resolve_workers


@pytest.mark.parametrize("workers", [1, 2])
def test_results_come_back_in_task_order(workers: int) -> None:
    tasks = [-5, 3, -1, 0, 7, -2]
    results = list(imap_progress(abs, tasks, workers=workers, total=len(tasks), desc="t", unit="x", progress=False))
    assert results == [5, 3, 1, 0, 7, 2]


def test_advance_counts_units_and_the_bar_closes(capsys: pytest.CaptureFixture[str]) -> None:
    tasks = ["ab", "cde", ""]
    results = list(imap_progress(str.upper, tasks, workers=1, total=5, desc="letters", unit="ch",
                                 progress=True, advance=len))
    assert results == ["AB", "CDE", ""]
    shown = capsys.readouterr().err
    assert "letters" in shown and "5/5" in shown  # 2 + 3 + 0 units of the declared total


def test_resolve_workers() -> None:
    assert resolve_workers(None) >= 1
    assert resolve_workers(0) == 1 and resolve_workers(3) == 3
