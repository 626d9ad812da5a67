"""The shared dev set, when it is checked out next to the repository."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data" / "timeparse_dev.jsonl"


@pytest.mark.skipif(not DATA.is_file(), reason="dev set not available")
def test_dev_set_accuracy() -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from timeparse_eval import evaluate_case

    cases = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line]
    outcomes = [evaluate_case(case) for case in cases]
    accuracy = sum(o.ok for o in outcomes) / len(outcomes)
    assert accuracy >= 0.97
