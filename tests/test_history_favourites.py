"""Favourites files and the remembered last state (Qt-free)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from voxstudio.core.errors import VoxelFileError
from voxstudio.session.favourites import (
    FAVOURITES_FORMAT,
    LAST_STATE_FILE,
    Favourites,
    load_favourites,
    load_last_state,
    save_favourites,
    save_last_state,
)
from voxstudio.session.shape_state import LatentRef, ShapeState

CHAIR = ShapeState("chair", 42, (0.5, -1.25, 0.0))
LOADED = ShapeState("sofa", 0, (0.0,), LatentRef(tuple(i / 3.0 for i in range(128)), "sofa.off"), 32)


def test_favourites_round_trip_through_a_file(tmp_path: Path) -> None:
    favourites = Favourites()
    assert favourites.add(CHAIR, "tall chair")
    assert favourites.add(LOADED)
    assert not favourites.add(CHAIR, "again")  # one entry per state
    path = save_favourites(tmp_path / "sub" / "mine.json", favourites)
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["format"] == FAVOURITES_FORMAT and document["version"] == 1
    loaded = load_favourites(path)
    assert [(f.name, f.state) for f in loaded] == [("tall chair", CHAIR), (LOADED.describe(), LOADED)]


def test_import_merges_only_new_states(tmp_path: Path) -> None:
    mine = Favourites()
    mine.add(CHAIR)
    theirs = Favourites()
    theirs.add(CHAIR, "same chair")
    theirs.add(LOADED, "their sofa")
    assert mine.merge(theirs) == 1
    assert [f.name for f in mine] == [CHAIR.describe(), "their sofa"]
    assert mine.remove(CHAIR) and not mine.remove(CHAIR) and len(mine) == 1


def test_save_is_atomic_and_keeps_the_old_file_on_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "fav.json"
    favourites = Favourites([])
    favourites.add(CHAIR)
    save_favourites(path, favourites)
    before = path.read_bytes()
    favourites.add(LOADED)

    def boom(*_args: object, **_kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(VoxelFileError, match="No space left"):
        save_favourites(path, favourites)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["fav.json"]  # no temporary file left


@pytest.mark.parametrize(("text", "message"), [
    ("{not json", "JSON"),
    ("[]", "top level is not an object"),
    ('{"format": "voxstudio-last-state", "version": 1}', "not a voxstudio-favourites file"),
    ('{"format": "voxstudio-favourites", "version": 99, "favourites": []}', "newer than this VoxStudio"),
    ('{"format": "voxstudio-favourites", "version": "1", "favourites": []}', "bad format version"),
    ('{"format": "voxstudio-favourites", "version": 1, "favourites": {}}', "must be a list"),
    ('{"format": "voxstudio-favourites", "version": 1, "favourites": [3]}', r"favourites\[0\]: expected an object"),
    ('{"format": "voxstudio-favourites", "version": 1, "favourites": [{"name": "x", "state": {"class": "chair",'
     ' "seed": "7"}}]}', r"favourites\[0\].state.seed: expected an integer"),
])
def test_bad_favourites_file_is_a_voxel_file_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(VoxelFileError, match=message) as caught:
        load_favourites(path)
    assert caught.value.path == path


def test_missing_favourites_file_is_a_voxel_file_error(tmp_path: Path) -> None:
    with pytest.raises(VoxelFileError):
        load_favourites(tmp_path / "absent.json")


def test_last_state_round_trip(tmp_path: Path) -> None:
    assert load_last_state(tmp_path) is None
    save_last_state(tmp_path, LOADED)
    assert (tmp_path / LAST_STATE_FILE).is_file()
    assert load_last_state(tmp_path) == LOADED
    save_last_state(tmp_path, CHAIR)
    assert load_last_state(tmp_path) == CHAIR


def test_damaged_last_state_is_reported(tmp_path: Path) -> None:
    (tmp_path / LAST_STATE_FILE).write_text('{"format": "voxstudio-last-state", "version": 1, "state": {}}')
    with pytest.raises(VoxelFileError, match="'class' field is missing"):
        load_last_state(tmp_path)
