"""English and Chinese texts. Each feature keeps its own :class:`Catalog` next to its code."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

__all__ = ["LANGUAGES", "Catalog", "Language", "as_language", "detect_language", "pick_language"]

Language = Literal["en", "zh"]
LANGUAGES: tuple[Language, ...] = ("en", "zh")


def pick_language(language_code: str | None) -> Language:
    """Map Telegram's IETF language code ("zh-hans", "en-US", None) to a supported language."""
    return "zh" if language_code and language_code.lower().startswith("zh") else "en"


def as_language(value: str) -> Language:
    """A stored or requested language code as one Dazi speaks (English unless Chinese)."""
    return "zh" if value == "zh" else "en"


def detect_language(text: str, fallback: str = "en") -> Language:
    """Guess the language of a message: Chinese if it holds a fair share of CJK characters."""
    letters = [char for char in text if char.isalpha()]
    if not letters:
        return as_language(fallback)
    cjk = sum(1 for char in letters if "\u4e00" <= char <= "\u9fff")
    return "zh" if cjk * 3 >= len(letters) else "en"


class Catalog:
    """Texts by key, each in every supported language, with ``str.format`` placeholders."""

    def __init__(self, texts: Mapping[str, Mapping[Language, str]]) -> None:
        for key, versions in texts.items():
            missing = set(LANGUAGES) - set(versions)
            if missing:
                raise ValueError(f"text {key!r} lacks {sorted(missing)}")
        self._texts = texts

    def __call__(self, key: str, lang: str, /, **values: object) -> str:
        version = self._texts[key].get(as_language(lang)) or self._texts[key]["en"]
        return version.format(**values) if values else version
