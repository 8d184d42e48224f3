"""ShapeState values and the undo / redo history (Qt-free)."""

from __future__ import annotations

import json

import pytest

from voxstudio.session.history import History, RecentStates
from voxstudio.session.shape_state import LatentRef, ShapeState, StateFormatError


def state(seed: int = 0, sliders: tuple[float, ...] = (0.0, 0.0), **kwargs: object) -> ShapeState:
    return ShapeState("chair", seed, sliders, **kwargs)  # type: ignore[arg-type]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


# -- ShapeState ---------------------------------------------------------------------------------
def test_state_is_a_hashable_value() -> None:
    a = state(3, (1, 0.5), latent=LatentRef((0.25, -1.0), "x.binvox"))
    b = state(3, (1.0, 0.5), latent=LatentRef((0.25, -1.0), "x.binvox"))
    assert a == b and hash(a) == hash(b)
    assert a.sliders == (1.0, 0.5) and isinstance(a.sliders[0], float)
    assert a != state(3, (1.0, 0.51))
    assert len({a, b, state(4)}) == 2


def test_state_json_round_trip_is_exact() -> None:
    latent = LatentRef(tuple(float(v) / 7.0 for v in range(128)), "chair.off")
    original = ShapeState("sofa", 2**31 - 1, (0.13, -2.5, 3.0), latent, 64, seed_b=9, t=0.25,
                          latent_b=LatentRef((1.5,), "b.stl"))
    text = json.dumps(original.to_json())
    restored = ShapeState.from_json(json.loads(text))
    assert restored == original
    assert json.loads(text)["latent"]["values"][1] == pytest.approx(1 / 7)


@pytest.mark.parametrize(("data", "message"), [
    ([], "expected an object"),
    ({"seed": 1}, "'class' field is missing"),
    ({"class": ""}, "empty class name"),
    ({"class": "chair", "seed": -1}, "state.seed: -1 is outside"),
    ({"class": "chair", "seed": True}, "state.seed: expected an integer"),
    ({"class": "chair", "sliders": [0.1, "x"]}, r"state.sliders\[1\]: expected a number"),
    ({"class": "chair", "sliders": [float("nan")]}, "not a finite number"),
    ({"class": "chair", "latent": {"values": []}}, "at least one value"),
    ({"class": "chair", "latent": [1.0]}, "state.latent: expected an object"),
    ({"class": "chair", "t": 1.5}, "outside 0..1"),
    ({"class": "chair", "resolution": 0}, "state.resolution"),
])
def test_bad_state_json_names_the_field(data: object, message: str) -> None:
    with pytest.raises(StateFormatError, match=message):
        ShapeState.from_json(data)


def test_describe() -> None:
    assert state(42).describe() == "chair \u00b7 seed 42"
    assert "2 sliders" in state(1, (0.5, -1.0)).describe()
    assert "loaded x.binvox" in state(latent=LatentRef((1.0,), "x.binvox")).describe()
    assert "\u2192 seed 7 (0.50)" in state(seed_b=7, t=0.5).describe()


# -- History ------------------------------------------------------------------------------------
def test_undo_redo_walks_back_and_forth() -> None:
    history = History()
    assert history.undo() is None and history.redo() is None
    for seed in range(4):
        history.push(state(seed))
    assert history.current == state(3)
    assert history.undo() == state(2)
    assert history.undo() == state(1)
    assert history.redo() == state(2)
    assert history.current == state(2) and history.can_undo() and history.can_redo()
    history.push(state(9))  # a new change after undo drops the redo branch
    assert not history.can_redo()
    assert history.undo_states() == [state(0), state(1), state(2)]


def test_applying_a_state_records_nothing() -> None:
    history = History()
    history.push(state(0))
    history.push(state(1))
    applied = history.undo()
    assert applied is not None
    assert history.push(applied) is False  # the panel reports the applied state back
    assert history.redo() == state(1)


def test_history_is_bounded() -> None:
    history = History(limit=5)
    for seed in range(20):
        history.push(state(seed))
    assert len(history.undo_states()) == 5
    undone = [history.undo() for _ in range(6)]
    assert undone[:5] == [state(s) for s in (18, 17, 16, 15, 14)] and undone[5] is None


def test_bursts_with_one_key_are_one_step() -> None:
    clock = Clock()
    history = History(coalesce_window_s=1.0, clock=clock)
    history.push(state(0, (0.0, 0.0)))
    for value in (0.05, 0.10, 0.15, 0.20):  # arrow-key nudges of slider 0
        clock.now += 0.2
        history.push(state(0, (value, 0.0)), coalesce="slider:0")
    assert history.undo() == state(0, (0.0, 0.0))
    assert not history.can_undo()


def test_coalescing_stops_at_another_key_a_pause_or_an_undo() -> None:
    clock = Clock()
    history = History(coalesce_window_s=1.0, clock=clock)
    history.push(state(0, (0.0, 0.0)))
    history.push(state(0, (0.1, 0.0)), coalesce="slider:0")
    history.push(state(0, (0.1, 0.1)), coalesce="slider:1")  # another slider: a new step
    clock.now += 5.0
    history.push(state(0, (0.1, 0.2)), coalesce="slider:1")  # after a pause: a new step
    assert len(history.undo_states()) == 3
    history.undo()
    history.push(state(0, (0.1, 0.3)), coalesce="slider:1")  # after undo: a new step
    assert history.undo() == state(0, (0.1, 0.1))


def test_burst_back_to_the_start_leaves_no_step() -> None:
    history = History(clock=Clock())
    history.push(state(0))
    history.push(state(0, (0.1, 0.0)), coalesce="k")
    history.push(state(0, (0.0, 0.0)), coalesce="k")
    assert not history.can_undo() and history.current == state(0)


def test_reset_starts_a_new_history() -> None:
    history = History()
    history.push(state(0))
    history.push(state(1))
    history.reset(state(5))
    assert history.current == state(5) and not history.can_undo() and not history.can_redo()
    with pytest.raises(ValueError):
        History(limit=0)


# -- RecentStates -------------------------------------------------------------------------------
def test_recent_states_keep_places_and_drop_the_oldest() -> None:
    recent = RecentStates(capacity=3)
    assert recent.add(state(0)) is None
    recent.add(state(1))
    recent.add(state(2))
    assert recent.add(state(1)) is None  # seen again: keeps its place
    assert [s.seed for s in recent] == [0, 1, 2]
    assert recent.add(state(3)) == state(0)
    assert [s.seed for s in recent] == [1, 2, 3] and recent.index(state(3)) == 2 and recent.index(state(0)) == -1
    assert state(2) in recent and len(recent) == 3 and recent[0] == state(1)


def test_change_key_names_a_single_slider_or_t() -> None:
    from voxstudio.session.history import change_key

    base = state(0, (0.0, 0.0))
    assert change_key(None, base) is None
    assert change_key(base, state(0, (0.0, 0.4))) == "slider:1"
    assert change_key(base, state(0, (0.1, 0.4))) is None  # two sliders: e.g. a random-walk tick
    assert change_key(base, state(1, (0.0, 0.4))) is None  # seed changed too
    assert change_key(base, state(0, (0.0, 0.0), t=0.3)) == "t"


def test_merged_flag_tells_a_coalesced_push() -> None:
    history = History(clock=Clock())
    history.push(state(0))
    history.push(state(0, (0.1, 0.0)), coalesce="slider:0")
    assert not history.merged
    history.push(state(0, (0.2, 0.0)), coalesce="slider:0")
    assert history.merged


def test_named_sliders_round_trip_and_compare_whatever_their_order() -> None:
    from voxstudio.session.shape_state import ShapeState, StateFormatError

    a = ShapeState("chair", seed=3, named=(("Backrest", 1.5), ("Armrests", -0.5), ("Width", 0.0)))
    b = ShapeState("chair", seed=3, named=(("Armrests", -0.5), ("Backrest", 1.5)))
    assert a == b and hash(a) == hash(b)
    assert a.named == (("Armrests", -0.5), ("Backrest", 1.5))  # zeros dropped, sorted
    assert ShapeState.from_json(a.to_json()) == a
    assert "2 sliders" in a.describe()
    assert ShapeState.from_json({"class": "chair"}).named == ()  # files written before named sliders
    with pytest.raises(StateFormatError, match=r"state\.named"):
        ShapeState.from_json({"class": "chair", "named": {"Backrest": "high"}})
