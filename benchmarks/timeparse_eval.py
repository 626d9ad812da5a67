"""Evaluate ``bot.timeparse.parse_when`` on JSONL sets of reminder expressions.

Each line: ``{"text", "now", "tz", "expect", "grain", "task", "category"?, "ask"?}``.
``expect`` lists the first occurrences (three for a recurring rule, compared with the rule's
first three occurrences) or is null when the text holds no usable time.  ``grain`` "minute"
allows 60 s of slack, "day" requires the same local date.  A null case with ``"ask": true``
also passes when the parser returns a reading that it asks about (``needs_question``): a
time word was there but is impossible or unclear, and the bot must ask, never guess.

Accuracy is reported per file, per language (zh when the text has CJK characters), per
category and overall; the task text is scored separately.  Parse time is process CPU time of
one ``parse_when`` call (median of 5 runs per case), p50/p95/max over all cases.

    .venv/bin/python benchmarks/timeparse_eval.py            # dev, original and held-out sets
    .venv/bin/python benchmarks/timeparse_eval.py --data benchmarks/data/timeparse_cases.jsonl -v

Issue 12 rule: the held-out file is scored, never read while tuning the grammar (-v lists
failures of the files given with --data only).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.timeparse import ParsedWhen, occurrences, parse_when  # noqa: E402

__all__ = ["DATA", "DEV_FILES", "HELDOUT", "ORIGINAL", "Outcome", "evaluate_case", "load", "main"]

DATA = ROOT / "benchmarks" / "data"
ORIGINAL = DATA / "timeparse_dev.jsonl"  # the first 73 cases (issue 15 copies them here too)
DEV_FILES = (DATA / "timeparse_cases.jsonl",)
HELDOUT = DATA / "timeparse_heldout.jsonl"

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


@dataclass
class Outcome:
    lang: str
    category: str
    ok: bool
    task_ok: bool
    got: list[str] | None
    got_task: str | None
    seconds: float


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


def _timed_parse(case: dict[str, Any], now: datetime) -> tuple[ParsedWhen | None, float]:
    runs: list[float] = []
    result = None
    for _ in range(5):
        start = time.process_time()
        result = parse_when(case["text"], now, case["tz"])
        runs.append(time.process_time() - start)
    return result, statistics.median(runs)


def evaluate_case(case: dict[str, Any], *, timed: bool = False) -> Outcome:
    now = datetime.fromisoformat(case["now"])
    tz = ZoneInfo(case["tz"])
    if timed:
        result, seconds = _timed_parse(case, now)
    else:
        result, seconds = parse_when(case["text"], now, case["tz"]), 0.0
    expect = case["expect"]
    got = _got(result, now, len(expect or []))
    if expect is None:
        ok = got is None or (bool(case.get("ask")) and result is not None and result.needs_question)
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
        category=case.get("category", "original"),
        ok=ok,
        task_ok=task_ok,
        got=None if got is None else [g.isoformat() for g in got[: len(expect or [1])]],
        got_task=got_task,
        seconds=seconds,
    )


def load(path: Path) -> list[dict[str, Any]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _share(outcomes: list[Outcome]) -> str:
    hits = sum(o.ok for o in outcomes)
    return f"{hits / max(len(outcomes), 1):.3f} ({hits}/{len(outcomes)})"


def _report(
    name: str, cases: list[dict[str, Any]], outcomes: list[Outcome], verbose: bool
) -> float:
    print(f"== {name}: {_share(outcomes)}")
    for lang in ("en", "zh"):
        subset = [o for o in outcomes if o.lang == lang]
        if subset:
            print(f"   {lang:15} {_share(subset)}")
    by_category: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        by_category[outcome.category].append(outcome)
    if len(by_category) > 1:
        for category in sorted(by_category):
            print(f"   {category:15} {_share(by_category[category])}")
    task_acc = sum(o.task_ok for o in outcomes) / max(len(outcomes), 1)
    print(f"   task text       {task_acc:.3f}")
    if verbose:
        for case, outcome in zip(cases, outcomes, strict=True):
            if not outcome.ok:
                print(
                    f"FAIL {case.get('id', '')} [{outcome.category}] {case['text']!r}"
                    f" now={case['now']}"
                )
                print(f"     expect {case['expect']}\n     got    {outcome.got}")
            elif not outcome.task_ok:
                print(f"TASK {case.get('id', '')} {case['text']!r}: {outcome.got_task!r}")
    return sum(o.ok for o in outcomes) / max(len(outcomes), 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", action="append", type=Path, help="JSONL file(s) to score")
    parser.add_argument("-v", "--verbose", action="store_true", help="list failures (--data only)")
    args = parser.parse_args(argv)
    if args.data:
        sets = [(path.name, path, args.verbose) for path in args.data]
    else:
        sets = [(path.name, path, False) for path in DEV_FILES]
        sets.append((f"original {ORIGINAL.name}", ORIGINAL, False))
        sets.append((f"held-out {HELDOUT.name}", HELDOUT, False))
    timings: list[float] = []
    for name, path, verbose in sets:
        cases = load(path)
        outcomes = [evaluate_case(case, timed=True) for case in cases]
        timings.extend(o.seconds for o in outcomes)
        _report(name, cases, outcomes, verbose)
    timings.sort()
    p95 = timings[max(0, round(0.95 * len(timings)) - 1)]
    print(
        f"parse CPU time over {len(timings)} cases: p50 {statistics.median(timings) * 1000:.3f} ms,"
        f" p95 {p95 * 1000:.3f} ms, max {timings[-1] * 1000:.3f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
