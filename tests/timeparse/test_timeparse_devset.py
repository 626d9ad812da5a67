"""The timeparse data sets in benchmarks/data, scored like benchmarks/timeparse_eval.py.

The dev set (hand-written, by category) must stay at 0.97 or better and the original 73
cases with it; the held-out set (other phrasings, not used to tune the grammar) at the
issue's unseen target of 0.85.  A missing file fails: these sets are part of the repository.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

from timeparse_eval import DEV_FILES, HELDOUT, ORIGINAL, evaluate_case, load  # noqa: E402


def _accuracy(path: Path, minimum_cases: int) -> float:
    assert path.is_file(), f"{path} is part of the repository"
    outcomes = [evaluate_case(case) for case in load(path)]
    assert len(outcomes) >= minimum_cases
    return sum(o.ok for o in outcomes) / len(outcomes)


@pytest.mark.parametrize("path", DEV_FILES, ids=lambda p: p.name)
def test_dev_set_accuracy(path: Path) -> None:
    assert _accuracy(path, 500) >= 0.97


def test_original_dev_set_still_passes() -> None:
    assert _accuracy(ORIGINAL, 73) >= 0.97


def test_held_out_set_meets_the_unseen_target() -> None:
    assert _accuracy(HELDOUT, 300) >= 0.85


def test_dev_set_covers_every_category_in_both_languages() -> None:
    cases = [case for path in DEV_FILES for case in load(path)]
    categories = Counter(case["category"] for case in cases)
    assert len(cases) >= 500 and len(categories) >= 15
    assert all(count >= 15 for count in categories.values()), categories
    assert {case["lang"] for case in cases} == {"en", "zh"}
    assert any(ch in case["text"] for case in cases for ch in "個鐘禮後點")  # traditional
