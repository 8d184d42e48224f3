"""A minimal evented pattern: the session model announces changes, views observe.

Why our own ~40 lines instead of a library (psygnal, napari's EventedModel): the
session only needs "call these callbacks with this value", synchronously, on
the thread that changed the state (the GUI thread). That needs no Qt, no
compiled extension in the PyInstaller bundle and no new dependency. Callbacks
are called in connection order; one that raises propagates (a bug, not a state).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Event(Generic[T]):
    """One kind of change; ``emit(value)`` calls every connected callback with it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._callbacks: list[Callable[[T], object]] = []

    def connect(self, callback: Callable[[T], object]) -> Callable[[T], object]:
        """Observe this event (returns the callback, so it can be used as a decorator)."""
        self._callbacks.append(callback)
        return callback

    def disconnect(self, callback: Callable[[T], object]) -> None:
        """Stop observing; a callback that is not connected is ignored."""
        if callback in self._callbacks:
            self._callbacks.remove(callback)

    def emit(self, value: T) -> None:
        for callback in list(self._callbacks):  # a callback may disconnect itself
            callback(value)

    def __len__(self) -> int:
        return len(self._callbacks)

    def __repr__(self) -> str:
        return f"Event({self.name!r}, {len(self)} observers)"
