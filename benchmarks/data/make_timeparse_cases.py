"""Write the timeparse dev and held-out sets (hand-written phrasings, hand-reasoned answers).

Every expected time here is computed with plain calendar arithmetic from ``now`` (the
helpers below), never by running the parser.  Each template is applied to a few ``now``
values (weekdays, times of day, months, DST changes and zones vary).  The held-out
templates use different phrasings and were written before the grammar work of issue 12;
nobody developing the grammar is meant to read their failures.

    python benchmarks/data/make_timeparse_cases.py   # rewrites the two JSONL files

Conventions (also in README "Reminder times"):
- day offsets ("in 7 days", "3天后") land on the default hour (09:00) of that day, scored at
  day grain; minute and hour offsets are exact;
- a bare weekday said on that weekday means today if the time is still ahead, else a week on;
- "5pm EST" is 17:00 at UTC-5; named days ("Friday 9:00 GMT") are read in that zone;
- a bare 1-12 hour takes the first future reading today (7-11 am first, else pm first);
- "tonight at 2"/"今晚两点" is 02:00 after midnight; holidays are their next occurrence.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from casekit import NOWS, T
from cases_dev import DEV
from cases_heldout import HELDOUT

HERE = Path(__file__).resolve().parent


def _cases(templates: list[T], prefix: str) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for template in templates:
        for key in template.nows:
            n = NOWS[key]
            got = template.expect(n)
            expect = None if got is None else got if isinstance(got, list) else [got]
            case: dict[str, object] = {
                "id": f"{prefix}-{len(out) + 1:04d}",
                "lang": "zh" if any("\u3400" <= c <= "\u9fff" for c in template.text) else "en",
                "category": template.category,
                "text": template.text,
                "now": n.local.isoformat(),
                "tz": n.tz.key,
                "expect": None if expect is None else [e.isoformat() for e in expect],
                "grain": template.grain,
                "task": template.task,
            }
            if template.ask:
                case["ask"] = True
            out.append(case)
    return out


def _write(name: str, cases: list[dict[str, object]]) -> None:
    lines = [json.dumps(case, ensure_ascii=False) for case in cases]
    (HERE / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{name}: {len(cases)} cases")


if __name__ == "__main__":
    _write("timeparse_cases.jsonl", _cases(DEV, "dev"))
    _write("timeparse_heldout.jsonl", _cases(HELDOUT, "ho"))
