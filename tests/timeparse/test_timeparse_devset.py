"""The timeparse data sets in benchmarks/data, scored like benchmarks/timeparse_eval.py."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

from timeparse_eval import ORIGINAL, evaluate_case, load  # noqa: E402


def _accuracy(path: Path) -> float:
    assert path.is_file(), f"{path} is part of the repository"
    outcomes = [evaluate_case(case) for case in load(path)]
    assert len(outcomes) >= 70
    return sum(o.ok for o in outcomes) / len(outcomes)


def test_original_dev_set_still_passes() -> None:
    assert _accuracy(ORIGINAL) >= 0.97
