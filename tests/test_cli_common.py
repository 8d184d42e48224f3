"""The shared argparse value types refuse bad values with the same words everywhere."""

from __future__ import annotations

import pytest

from voxstudio.cli import build_parser


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["train", "gan", "--data", "d", "--out", "o", "--epochs", "0"], "must be at least 1, got 0"),
        (["train", "gan", "--data", "d", "--out", "o", "--lr", "0"], "must be positive, got 0.0"),
        (["train", "gan", "--data", "d", "--out", "o", "--lr", "fast"], "not a number: 'fast'"),
        (["evaluate", "gan", "--threads", "two"], "not an integer: 'two'"),
        (["dataset", "build", "--out", "o", "--per-class", "x"], "not an integer: 'x'"),
        (["dataset", "build", "--out", "o", "--per-class", "1", "--res", "0"], "must be at least 1, got 0"),
        (["dataset", "build", "--out", "o", "--per-class", "1", "--res", "300"], "must be between 8 and 256, got 300"),
        (["dataset", "build", "--out", "o", "--per-class", "1", "--test-fraction", "1"], "must be in [0, 1), got 1.0"),
        (["dataset", "build", "--out", "o", "--per-class", "1", "--test-fraction", "a"], "not a number: 'a'"),
        (["convert", "a.off", "b.npy", "-r", "3"], "must be between 4 and 512, got 3"),
        (["convert", "a.off", "b.npy", "-r", "3.5"], "not an integer: '3.5'"),
    ],
)
def test_bad_option_values_are_refused(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_good_option_values_parse() -> None:
    args = build_parser().parse_args(["train", "capsnet", "--data", "d", "--out", "o", "--epochs", "3", "--lr", "0.5",
                                      "--threads", "1"])
    assert (args.epochs, args.lr, args.threads, args.device) == (3, 0.5, 1, "auto")
    args = build_parser().parse_args(["dataset", "build", "--out", "o", "--per-class", "2", "--res", "16",
                                      "--test-fraction", "0.25", "--workers", "1"])
    assert (args.per_class, args.res, args.test_fraction, args.workers) == (2, 16, 0.25, 1)
