"""Undo / redo over shape states, and the list of recent states behind the thumbnail strip.

Why it is shaped like this:

* **One user gesture, one undo step.** A slider drag emits a value per pixel;
  the GUI pushes only when the drag ends. Changes that arrive as bursts without
  a "drag end" (arrow keys on a slider, the mouse wheel) pass a ``coalesce`` key:
  a push with the same key as the previous one, within ``coalesce_window_s``
  and with no undo / redo in between, *replaces* the newest step instead of
  adding one.
* **Bounded.** An artist's session can run for hours of random walks; the undo
  stack keeps the newest ``limit`` steps, the recent list the newest ``capacity``
  distinct states.
* **Applying a state is not a change.** Undo / redo move ``current`` and return
  the state for the GUI to apply; when the panel then reports that state back,
  ``push`` sees it equal to ``current`` and records nothing.

Qt-free: the clock is injectable so the tests need no sleeping.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import replace

from voxstudio.session.shape_state import ShapeState

__all__ = ["History", "RecentStates", "change_key"]

DEFAULT_LIMIT = 200
DEFAULT_COALESCE_WINDOW_S = 1.5
DEFAULT_RECENT = 12


class History:
    """Linear undo / redo over :class:`ShapeState` values."""

    def __init__(
        self,
        limit: int = DEFAULT_LIMIT,
        coalesce_window_s: float = DEFAULT_COALESCE_WINDOW_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        self.limit = limit
        self.coalesce_window_s = coalesce_window_s
        self._clock = clock
        self._undo: deque[ShapeState] = deque(maxlen=limit)
        self._redo: list[ShapeState] = []
        self._current: ShapeState | None = None
        self._last_key: str | None = None
        self._last_time = float("-inf")
        self.merged = False  # whether the last push replaced the newest step (coalesced)

    @property
    def current(self) -> ShapeState | None:
        """The state on screen as far as the history knows (None before the first push)."""
        return self._current

    def reset(self, state: ShapeState | None = None) -> None:
        """Forget every step; ``state`` becomes the current one (e.g. the restored last state)."""
        self._undo.clear()
        self._redo.clear()
        self._current = state
        self._last_key = None

    def push(self, state: ShapeState, coalesce: str | None = None) -> bool:
        """Record ``state`` as the new current state; False if nothing changed.

        ``coalesce``: see the module docstring. The first push only sets the
        current state (there is nothing to undo back to yet).
        """
        self.merged = False
        if state == self._current:
            return False
        now = self._clock()
        merge = (coalesce is not None and coalesce == self._last_key and self._undo
                 and now - self._last_time <= self.coalesce_window_s)
        if not merge and self._current is not None:
            self._undo.append(self._current)  # deque(maxlen) drops the oldest step
        self._redo.clear()
        self._current = state
        self._last_key = coalesce
        self._last_time = now
        self.merged = bool(merge)
        if merge and self._undo and self._undo[-1] == state:
            self._undo.pop()  # the burst came back to where it started: no step at all
            self._last_key = None
        return True

    def can_undo(self) -> bool:
        return bool(self._undo)

    def can_redo(self) -> bool:
        return bool(self._redo)

    def undo(self) -> ShapeState | None:
        """Step back; returns the state to apply (None when there is nothing to undo)."""
        if not self._undo or self._current is None:
            return None
        self._redo.append(self._current)
        self._current = self._undo.pop()
        self._last_key = None
        return self._current

    def redo(self) -> ShapeState | None:
        """Step forward again; returns the state to apply (None when there is nothing to redo)."""
        if not self._redo or self._current is None:
            return None
        self._undo.append(self._current)
        self._current = self._redo.pop()
        self._last_key = None
        return self._current

    def undo_states(self) -> list[ShapeState]:
        """Oldest first (for tests and a future history list)."""
        return list(self._undo)

    def redo_states(self) -> list[ShapeState]:
        """Next redo first."""
        return list(reversed(self._redo))


def change_key(old: ShapeState | None, new: ShapeState) -> str | None:
    """The coalescing key of a change from ``old`` to ``new``.

    ``"slider:I"`` when only slider I moved, ``"t"`` when only the interpolation
    moved, else None (a class, seed or latent change is always its own step).
    """
    if old is None:
        return None
    if new.sliders != old.sliders and len(new.sliders) == len(old.sliders):
        moved = [i for i, (a, b) in enumerate(zip(old.sliders, new.sliders)) if a != b]
        if len(moved) == 1 and new == replace(old, sliders=new.sliders):
            return f"slider:{moved[0]}"
    if new.t != old.t and new == replace(old, t=new.t):
        return "t"
    return None


class RecentStates:
    """The newest distinct states in the order first seen (the thumbnail strip).

    A state seen again keeps its place, so thumbnails do not jump under the
    mouse when one is clicked; the oldest drops out beyond ``capacity``.
    """

    def __init__(self, capacity: int = DEFAULT_RECENT) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity}")
        self.capacity = capacity
        self._states: list[ShapeState] = []

    def add(self, state: ShapeState) -> ShapeState | None:
        """Add ``state`` (no-op when present); returns the state that dropped out, if any."""
        if state in self._states:
            return None
        self._states.append(state)
        if len(self._states) > self.capacity:
            return self._states.pop(0)
        return None

    def clear(self) -> None:
        self._states.clear()

    def index(self, state: ShapeState) -> int:
        """Position of ``state`` (-1 when absent)."""
        try:
            return self._states.index(state)
        except ValueError:
            return -1

    def __contains__(self, state: object) -> bool:
        return state in self._states

    def __iter__(self) -> Iterator[ShapeState]:
        return iter(list(self._states))

    def __len__(self) -> int:
        return len(self._states)

    def __getitem__(self, index: int) -> ShapeState:
        return self._states[index]
