"""The run's metric log: ``out_dir/log.csv`` and, when installed, TensorBoard.

Tasks report whatever losses they like, and evaluation adds metrics only at
epoch ends, so the CSV header grows as new names appear; the file is rewritten
with the wider header when that happens (rare, and the file is small).  On
resume, rows written after the checkpoint being resumed are dropped so the log
reads as one uninterrupted run.
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

LOG_NAME = "log.csv"
#: Columns every row has, in this order; metric columns follow alphabetically.
FIXED_COLUMNS = ("kind", "epoch", "step", "time_s")


class RunLog:
    """Append rows to ``log.csv`` (and TensorBoard if ``tensorboard`` is installed)."""

    def __init__(self, out_dir: Path, resume_step: int | None = None, tensorboard: bool = True) -> None:
        self.path = Path(out_dir) / LOG_NAME
        self._rows: list[dict[str, str]] = []
        self._columns: list[str] = list(FIXED_COLUMNS)
        if resume_step is not None and self.path.is_file():
            self._load_until(resume_step)
        self._rewrite()
        self._writer = _tensorboard_writer(Path(out_dir) / "tensorboard", resume_step) if tensorboard else None

    def log(self, kind: str, epoch: float, step: int, time_s: float, values: Mapping[str, Any]) -> None:
        """Append one row; ``values`` are scalars (floats, ints)."""
        row = {"kind": kind, "epoch": _fmt(epoch), "step": str(step), "time_s": _fmt(time_s)}
        row.update({name: _fmt(value) for name, value in values.items()})
        self._rows.append(row)
        new = sorted(set(row) - set(self._columns))
        if new:
            self._columns.extend(new)
            self._rewrite()
        else:
            with self.path.open("a", newline="", encoding="utf-8") as handle:
                csv.DictWriter(handle, fieldnames=self._columns).writerow(row)
        if self._writer is not None:
            prefix = "epoch/" if kind == "epoch" else "train/"
            for name, value in values.items():
                if isinstance(value, (int, float)) and math.isfinite(float(value)):
                    self._writer.add_scalar(prefix + name, float(value), step)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.flush()
            self._writer.close()
            self._writer = None

    def _load_until(self, resume_step: int) -> None:
        with self.path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            for name in reader.fieldnames or ():
                if name not in self._columns:
                    self._columns.append(name)
            for row in reader:
                try:
                    step = int(row.get("step") or 0)
                except ValueError:
                    continue
                if step <= resume_step:
                    self._rows.append({k: v for k, v in row.items() if k is not None})

    def _rewrite(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temp = self.path.with_name(self.path.name + ".tmp")
        with temp.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=self._columns)
            writer.writeheader()
            writer.writerows(self._rows)
        os.replace(temp, self.path)


def read_log(path: Path) -> list[dict[str, str]]:
    """All rows of a ``log.csv`` (for tests and reports)."""
    with Path(path).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _tensorboard_writer(log_dir: Path, resume_step: int | None) -> Any:
    """A SummaryWriter if the optional ``tensorboard`` package is installed, else None."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        return None
    return SummaryWriter(log_dir=str(log_dir), purge_step=resume_step)
