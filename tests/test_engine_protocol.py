"""``VoxelEngine`` satisfies the worker's ``InferenceEngine`` Protocol (names and call signatures)."""

from __future__ import annotations

import inspect

from voxstudio.models.engine import VoxelEngine
from voxstudio.models.engine_protocol import InferenceEngine, LatentSource


def test_voxel_engine_is_an_inference_engine():
    engine = VoxelEngine.random_init(resolution=32, seed=0)
    assert isinstance(engine, InferenceEngine)
    assert engine.latent_dim > 0 and engine.has_generator and engine.has_classifier


def test_every_protocol_method_accepts_the_protocols_arguments():
    # The protocol's own members and those of the slice it extends (LatentSource).
    declared = {**vars(LatentSource), **vars(InferenceEngine)}
    methods = {name for name, member in declared.items() if not name.startswith("_") and inspect.isfunction(member)}
    assert {"generate", "named_slider_offset", "classify", "invert", "decode_pose", "presence"} <= methods
    assert LatentSource in InferenceEngine.__mro__
    for name in methods:
        wanted = inspect.signature(declared[name]).parameters
        have = inspect.signature(getattr(VoxelEngine, name)).parameters
        for parameter in wanted.values():
            assert parameter.name in have, f"VoxelEngine.{name} lacks {parameter.name}"
            assert (parameter.default is inspect.Parameter.empty) == (have[parameter.name].default
                                                                       is inspect.Parameter.empty), name


def test_a_stand_in_missing_a_method_is_not_an_engine():
    class Partial:
        classes = ("a",)
        resolution = 32

    assert not isinstance(Partial(), InferenceEngine)
