"""The leftover guard: time-like words that no grammar rule consumed.

After the grammar has run, whatever was not masked becomes the reminder's task.  When that
leftover still holds time material ("except Sunday", "and 5", "差一刻", "农历", "下班后",
"Monday week", "17h"...), the reading that was confirmed would silently ignore part of what the
user said.  ``find_leftover`` spots such material by token classes, not by phrase, and returns
the leftover piece it sits in so the caller can ask instead of confirming.

Token classes (each a pattern over the masked text, where ``\\x00`` marks consumed time words):

- *strong* tokens are time-like wherever they appear: a clock or an hour glued to a unit
  ("17h", "5ish", "3pm", "9:30"), numeric ordinals ("4th"), exclusion and limit words
  ("except", "直到", "为止", "除了"), day and month names, lunar words, day anchors ("下班后",
  "after work"), "差" + quarter/minutes, "每…" / "every …" left over, "第N个";
- *adjacent* tokens are time-like only right next to a consumed time expression: connectors
  followed by a number ("and 5", "和15号", "or 6"), "week" in "Monday week", range and limit
  words ("until", "from", "starting", "but"), "前一天" after a holiday;
- *rule* tokens matter only for a recurring rule: "for 3 weeks", "5 times".
"""

from __future__ import annotations

import re

from bot.timeparse.numbers import CN_NUM
from bot.timeparse.scanner import MASK, Scan

__all__ = ["find_leftover"]

M = MASK
_F = re.IGNORECASE
L = r"(?<![A-Za-z0-9])"
R = r"(?![A-Za-z0-9])"
_CN = CN_NUM
_NUM = rf"(?:\d+|{_CN})"
_WD_EN = r"(?:mon|tues|wednes|thurs|fri|satur|sun)days?"
_MONTH_EN = (
    r"(?:january|february|april|june|july|september|october|november|december"
    r"|feb|apr|aug|sept?|oct|nov|dec)"
)
_NUM_EN = (
    r"(?:\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a\s+couple\s+of)"
)

_STRONG = [
    # clocks and hours glued to a unit
    rf"(?<![\d:.]){L}\d{{1,2}}(?:[:.]\d{{2}})?\s*-?\s*(?:ish|am|pm|a\.m|p\.m)(?![A-Za-z])",
    rf"(?<![\d:.]){L}\d{{1,2}}h(?:\d{{2}})?{R}",
    r"(?<![\d:])\d{1,2}:\d{2}(?![\d:])",
    rf"{L}(?:on|by|until|till|from|and|or|&|,)\s+(?:the\s+)?\d{{1,2}}(?:st|nd|rd|th){R}",
    # exclusions, offsets from an event, repetitions
    rf"{L}(?:except|excluding|apart\s+from|other\s+than){R}",
    rf"{L}{_NUM_EN}\s+(?:minutes?|mins?|hours?|hrs?|days?|weeks?)\s+(?:before|after|earlier|prior){R}",
    rf"{L}(?:once|twice|thrice|{_NUM_EN}\s+times)\s+(?:a|per|each|every)\s+(?:day|week|month|year){R}",
    rf"{L}(?:every|each)\s+(?:\d+\s+|other\s+|second\s+|third\s+)?(?:days?|weeks?|months?|years?"
    rf"|hours?|minutes?|mornings?|evenings?|nights?|week\s*days?|week\s*ends?|{_WD_EN}"
    rf"|mon|tue|wed|thu|fri|sat|sun){R}",
    # days, months, relative days that were not used (a second, conflicting time)
    rf"{L}(?:{_WD_EN}|{_MONTH_EN}|today|tomorrow|tonight|tmrw|yesterday|weekends?){R}",
    # Chinese: lunar calendar, quarter-to, exclusions and limits, conflicting days
    r"农历|阴历|旧历|正月|腊月|中秋|春节|端午|元宵|七夕|重阳|除夕",
    rf"差\s*(?:一刻|三刻|{_NUM}\s*分)",
    r"除了|除去|不包括|不含|以外|之外|除外|直到|为止|截止|截至",
    rf"(?:连续|持续|一共|总共)\s*{_NUM}\s*(?:个)?\s*(?:天|日|周|星期|礼拜|月|次)",
    rf"每\s*(?:隔|{_NUM}\s*个?\s*(?:天|日|周|星期|礼拜|月|年|小时|分钟?|次)"
    r"|个?\s*(?:天|日|周|星期|礼拜|月|年|晚|早|小时)|逢)",
    rf"第\s*{_NUM}\s*个\s*(?:周|星期|礼拜|工作日)",
    r"今天|明天|后天|今晚|明晚|明早|周末|下周|下星期|下个?月|上午|下午|晚上|早上|中午|凌晨|傍晚",
    r"(?:周|星期|礼拜|禮拜)[一二三四五六日天1-7]",
    r"(?<!\d)\d{1,2}\s*[点點时時](?![候间間])",
    r"(?<!\d)\d{1,2}\s*[号號](?![线楼门床房车位码球机院层])",
]

#: Anchors on the user's day; only without a clock time ("每天8点饭后吃药" is fine).
_ANCHOR = [
    rf"{L}(?:after|before|when)\s+(?:i\s+)?(?:work|school|class|bed|my\s+shift|the\s+gym"
    rf"|get\s+home|wake\s+up|finish|leave){R}",
    r"(?:下班|上班|放学|下课|放工|收工|午休|睡觉|睡|起床|到家|回家|开会|会议|开完会|吃完饭|饭)"
    r"(?:之?[前后後]|以[前后後]|的时候|时)",
]

_ADJACENT = [
    # a connector and a number (or day) right after a time: "at 9 and 5", "1号和15号"
    rf"{M}[\s,，]*(?:and|&|or|plus|to|till|until|-|–|—|~|和|与|及|跟|或者?|到|至|、)\s*(?:at\s+)?"
    rf"(?:\d|{_CN}|周|星期|礼拜)",
    rf"(?:\d{{1,2}}|{_CN}[点号日]?)\s*(?:and|&|or|to|past|和|与|或|到|差)[\s,，]*{M}",
    # a range or limit word between two time expressions the grammar did not join
    rf"{M}[\s,，]*(?:到|至|~|～|until|till|to|through|thru|or|或者?)[\s,，]*{M}",
    # two time expressions chained: "tomorrow at 9 then every Monday", "Friday and also..."
    rf"{M}[\s,，]*(?:and\s+)?(?:then|also|plus|as\s+well\s+as|再|还有|以及)[\s,，]*{M}",
    # a repetition word whose rule was not taken: "每<周一>"
    rf"(?:每|every|each)\s*{M}",
    # "Monday week", "a week on Friday"
    rf"{M}[\s,]*(?:a\s+)?(?:weeks?|fortnights?){R}",
    rf"{L}{_NUM_EN}\s+(?:weeks?|fortnights?)\s+(?:on|from)[\s,]*{M}",
    # limits the grammar did not take
    rf"{M}[\s,]*(?:but|until|till|til|through|thru){R}",
    rf"{L}(?:until|till|through|thru|except|but\s+not)[\s,]*{M}",
    # an ordinal day next to a time: "<every month> the 4th"
    rf"{M}[\s,]*(?:the\s+)?\d{{1,2}}(?:st|nd|rd|th){R}",
    # a lone number right after a clock: "<at 9> 30", "<Monday> 5."
    rf"{M}\s*(?:[:.h]\s*)?\d{{1,2}}(?=\s*(?:$|[,.;!?，。]|{M}|and{R}|or{R}|to{R}|-))",
    # "国庆前一天", "周五后两天"
    rf"{M}\s*(?:之)?[前后後]\s*{_NUM}\s*(?:个)?\s*(?:天|日|周|星期|月)",
]

_RULE_ONLY = [
    rf"{L}for\s+(?:the\s+)?(?:[a-z0-9]+\s+){{0,2}}(?:days?|weeks?|months?|years?|fortnights?){R}",
    rf"{L}{_NUM_EN}\s+times{R}",
    rf"{_NUM}\s*次",
]

_STRONG_RE = [re.compile(p, _F) for p in _STRONG]
_ANCHOR_RE = [re.compile(p, _F) for p in _ANCHOR]
_ADJACENT_RE = [re.compile(p, _F) for p in _ADJACENT]
_RULE_RE = [re.compile(p, _F) for p in _RULE_ONLY]
_TRIM = " \t\r\n,.;:!?，。；：！？、·-—~～…\"'“”‘’()（）[]【】" + M


def _piece(masked: str, start: int, end: int) -> str:
    """The leftover stretch (between consumed time words) that holds ``start:end``."""
    left = masked.rfind(M, 0, start)
    right = masked.find(M, end)
    if right == -1:
        right = len(masked)
    piece = masked[left + 1 : right].strip(_TRIM)
    if not piece:
        piece = masked[start:end].replace(M, " ").strip(_TRIM)
    return re.sub(r"\s+", " ", piece)[:60]


def find_leftover(scan: Scan) -> str | None:
    """The leftover words that still look like part of a time, or None when there are none."""
    masked = scan.masked
    if MASK not in masked:
        return None
    frame = scan.frame
    patterns = _STRONG_RE + _ADJACENT_RE
    if not frame.times:
        patterns += _ANCHOR_RE
    if frame.freq:
        patterns += _RULE_RE
    for pattern in patterns:
        for match in pattern.finditer(masked):
            text = match.group(0).replace(M, "").strip(_TRIM)
            if text:
                return _piece(masked, match.start(), match.end())
    return None
