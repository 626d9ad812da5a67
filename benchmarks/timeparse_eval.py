"""Evaluate ``bot.timeparse.parse_when`` on a JSONL set of reminder expressions.

Each line: ``{"text", "now", "tz", "expect", "grain", "task"}``.  ``expect`` lists the first
occurrences (three for a recurring rule, compared with the rule's first three occurrences)
or is null when the text holds no usable time.  ``grain`` "minute" allows 60 s of slack,
"day" requires the same local date.  Accuracy is reported per language (zh when the text
has CJK characters) and overall; the task text is scored separately.

    .venv/bin/python benchmarks/timeparse_eval.py --data ../shared/data/timeparse_dev.jsonl -v
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.timeparse import ParsedWhen, occurrences, parse_when

__all__ = ["Outcome", "evaluate_case", "main"]

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


@dataclass
class Outcome:
    lang: str
    ok: bool
    task_ok: bool
    got: list[str] | None
    got_task: str | None


def _lang(text: str) -> str:
    return "zh" if _CJK.search(text) else "en"


def _got(result: ParsedWhen | None, now: datetime, count: int) -> list[datetime] | None:
    if result is None:
        return None
    if result.rrule is None:
        return [result.when]
    assert result.dtstart is not None
    return occurrences(result.rrule, result.dtstart, now, max(count, 3))


def _same(got: datetime, want: datetime, grain: str, tz: ZoneInfo) -> bool:
    if grain == "day":
        return got.astimezone(tz).date() == want.astimezone(tz).date()
    return abs(got - want) <= timedelta(seconds=60)


def evaluate_case(case: dict) -> Outcome:
    now = datetime.fromisoformat(case["now"])
    tz = ZoneInfo(case["tz"])
    result = parse_when(case["text"], now, case["tz"])
    expect = case["expect"]
    got = _got(result, now, len(expect or []))
    if expect is None:
        ok = got is None
    elif got is None:
        ok = False
    else:
        wants = [datetime.fromisoformat(e) for e in expect]
        recurring = result is not None and result.rrule is not None
        ok = recurring == (len(wants) > 1) and all(
            _same(g, w, case["grain"], tz) for g, w in zip(got, wants, strict=False)
        )
        ok = ok and len(got) >= len(wants)
    got_task = result.task if result else None
    task_ok = expect is None or (got_task or None) == (case.get("task") or None)
    return Outcome(
        lang=_lang(case["text"]),
        ok=ok,
        task_ok=task_ok,
        got=None if got is None else [g.isoformat() for g in got[: len(expect or [1])]],
        got_task=got_task,
    )


def _report(cases: list[dict], outcomes: list[Outcome], verbose: bool) -> float:
    for lang in ("en", "zh"):
        subset = [o for o in outcomes if o.lang == lang]
        if subset:
            acc = sum(o.ok for o in subset) / len(subset)
            print(f"{lang}: {acc:.3f} ({sum(o.ok for o in subset)}/{len(subset)})")
    overall = sum(o.ok for o in outcomes) / max(len(outcomes), 1)
    task_acc = sum(o.task_ok for o in outcomes) / max(len(outcomes), 1)
    print(f"overall: {overall:.3f} ({sum(o.ok for o in outcomes)}/{len(outcomes)})")
    print(f"task text: {task_acc:.3f}")
    if verbose:
        for case, outcome in zip(cases, outcomes, strict=True):
            if not outcome.ok:
                print(f"FAIL {case.get('id', '')} {case['text']!r} now={case['now']}")
                print(f"     expect {case['expect']}\n     got    {outcome.got}")
            elif not outcome.task_ok:
                print(f"TASK {case.get('id', '')} {case['text']!r}: {outcome.got_task!r}")
    return overall


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="../shared/data/timeparse_dev.jsonl")
    parser.add_argument("-v", "--verbose", action="store_true", help="list failures")
    args = parser.parse_args(argv)
    lines = Path(args.data).read_text(encoding="utf-8").splitlines()
    cases = [json.loads(line) for line in lines if line.strip()]
    outcomes = [evaluate_case(case) for case in cases]
    _report(cases, outcomes, args.verbose)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
