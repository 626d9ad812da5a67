"""LLM Markdown to Telegram-safe HTML, split into parts Telegram accepts.

Telegram's ``parse_mode="HTML"`` understands a handful of tags (b, i, u, s, tg-spoiler, a, code,
pre, blockquote) and rejects a message whose markup is unbalanced or uses anything else.  LLM
answers are CommonMark with GFM tables and strikethrough, often cut off mid-stream, so this
module:

* renders Markdown (parsed by markdown-it-py) as that HTML subset: headings become bold lines,
  lists become "•"/"1." lines, tables become an aligned monospace ``<pre>`` block, raw HTML is
  shown escaped, and only http/https/tg/mailto links survive;
* splits the HTML into parts of at most ``limit`` characters of source *and* ``limit`` UTF-16
  code units of visible text, each well-formed on its own: tags open at a split are closed at
  the end of one part and reopened, attributes and all, at the start of the next;
* gives the plain visible text and a plain-text splitter, for when Telegram rejects formatting.

Streaming re-renders the growing answer many times, so inline content (most of the parse
cost) is cached by its source text; only the block structure is parsed afresh each time, and
not even that for Markdown that is nothing but paragraphs (most chat answers).
The functions are pure and independent of python-telegram-bot.
"""

from __future__ import annotations

import html as _html
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

__all__ = [
    "TELEGRAM_LIMIT",
    "html_to_plain",
    "markdown_to_html",
    "render_parts",
    "split_message",
    "split_plain",
]

TELEGRAM_LIMIT = 4096
"""Longest text message Telegram accepts, in UTF-16 code units."""

_MIN_LIMIT = 16
_MAX_NESTING = 40
_HR = "———"
_BULLETS = ("•", "◦", "▪")
_TASK_BOXES = {" ": "☐", "x": "☑", "X": "☑"}
_EXPANDABLE_QUOTE_CHARS = 1000
_SAFE_SCHEMES = re.compile(r"(?i)^(?:(?:https?|tg)://[^\s/?#]+|mailto:[^\s@]+@[^\s@]+$)")
_TASK_RE = re.compile(r"^\[([ xX])\](?:[ \t]+|$)")
_LANG_RE = re.compile(r"^[\w+#.\-]{1,32}$")
# Characters some inline rule reacts to; content without them is plain text.
_INLINE_SPECIAL = re.compile(r"[\\`*_\[\]!<>&~|]")
_EMPTY_INLINE = re.compile(r"<(b|i|s|u|tg-spoiler|a)(?: [^>]*)?></\1>")
_PRE_OR_NEWLINE = re.compile(r"<pre>.*?</pre>|\n(?!<pre>)", re.DOTALL)


# --------------------------------------------------------------------------- Markdown parsing


def _spoiler_rule(state: StateInline, silent: bool) -> bool:
    """``||hidden||`` becomes a spoiler; an unclosed ``||`` stays literal text."""
    start = state.pos
    src = state.src
    if not src.startswith("||", start):
        return False
    end = src.find("||", start + 2, state.posMax)
    if end < 0 or not src[start + 2 : end].strip():
        return False
    if not silent:
        state.push("spoiler_open", "tg-spoiler", 1)
        old_max = state.posMax
        state.pos, state.posMax = start + 2, end
        state.md.inline.tokenize(state)
        state.posMax = old_max
        state.push("spoiler_close", "tg-spoiler", -1)
    state.pos = end + 2
    return True


def _make_parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "maxNesting": _MAX_NESTING})
    md.enable(["table", "strikethrough"])
    # Inline content is parsed lazily (and cached) by the renderer.
    md.core.ruler.disable(["inline", "text_join"])
    # Every link parses as a link; the renderer keeps only safe ones and shows the rest as text.
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    md.inline.ruler.before("strikethrough", "tg_spoiler", _spoiler_rule)
    md.inline.add_terminator_char("|")
    return md


_MD = _make_parser()


def _references_key(env: dict[str, Any]) -> tuple[tuple[str, str, str], ...]:
    refs = env.get("references")
    if not refs:
        return ()
    return tuple(sorted((k, v.get("href", ""), v.get("title", "")) for k, v in refs.items()))


def _inline_tokens(content: str, refs: tuple[tuple[str, str, str], ...]) -> list[Token]:
    env: dict[str, Any] = {}
    if refs:
        env["references"] = {k: {"href": href, "title": title} for k, href, title in refs}
    tokens: list[Token] = []
    _MD.inline.parse(content, _MD, env, tokens)
    return tokens


# --------------------------------------------------------------------------- inline rendering


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _esc_attr(text: str) -> str:
    return _esc(text).replace('"', "&quot;")


def _safe_href(href: str | None) -> str | None:
    if href and _SAFE_SCHEMES.match(href):
        return href
    return None


_SIMPLE_TAGS = {
    "strong_open": ("b", True),
    "strong_close": ("b", False),
    "em_open": ("i", True),
    "em_close": ("i", False),
    "s_open": ("s", True),
    "s_close": ("s", False),
    "spoiler_open": ("tg-spoiler", True),
    "spoiler_close": ("tg-spoiler", False),
}


def _plain_of(tokens: Sequence[Token]) -> str:
    """Visible text of inline tokens, without any markup."""
    out: list[str] = []
    for tok in tokens:
        kind = tok.type
        if kind in ("softbreak", "hardbreak"):
            out.append(" ")
        elif kind == "image":
            out.append(_plain_of(tok.children or ()))
        elif tok.nesting == 0:
            out.append(tok.content)
    return "".join(out)


class _InlineWriter:
    """Turns inline tokens into Telegram HTML, keeping code out of other formatting."""

    def __init__(self, wrap: str | None) -> None:
        self.out: list[str] = []
        self.open: list[tuple[str, str]] = []  # (name, opening tag)
        self.links = 0
        if wrap:
            self.push(wrap, f"<{wrap}>")

    def push(self, name: str, tag: str) -> None:
        self.open.append((name, tag))
        self.out.append(tag)

    def pop(self, name: str) -> None:
        if self.open and self.open[-1][0] == name:
            self.open.pop()
            self.out.append(f"</{name}>")

    def code(self, text: str) -> None:
        if self.links:
            # Telegram lets no entity contain code; inside a link keep just the text.
            self.out.append(_esc(text))
            return
        self.out.extend(f"</{name}>" for name, _ in reversed(self.open) if name)
        self.out.append(f"<code>{_esc(text)}</code>")
        self.out.extend(tag for _, tag in self.open)

    def link_open(self, href: str | None) -> None:
        safe = _safe_href(href)
        if safe is None or self.links:
            self.open.append(("", ""))
            return
        self.links += 1
        self.push("a", f'<a href="{_esc_attr(safe)}">')

    def link_close(self, href: str | None) -> None:
        name, tag = self.open.pop() if self.open else ("", "")
        if not name:
            return
        self.links -= 1
        if self.out and self.out[-1] == tag:
            self.out.append(_esc(href or ""))
        self.out.append("</a>")

    def image(self, tok: Token) -> None:
        alt = _plain_of(tok.children or ()) or "image"
        safe = _safe_href(tok.attrs.get("src"))  # type: ignore[arg-type]
        if safe is None or self.links:
            self.out.append(_esc(alt))
        else:
            self.out.append(f'<a href="{_esc_attr(safe)}">{_esc(alt)}</a>')

    def feed(self, tokens: Sequence[Token]) -> None:
        hrefs: list[str | None] = []
        for tok in tokens:
            kind = tok.type
            simple = _SIMPLE_TAGS.get(kind)
            if simple is not None:
                name, opening = simple
                if opening:
                    self.push(name, f"<{name}>")
                else:
                    self.pop(name)
            elif kind in ("text", "text_special", "html_inline"):
                self.out.append(_esc(tok.content))
            elif kind in ("softbreak", "hardbreak"):
                self.out.append("\n")
            elif kind == "code_inline":
                self.code(tok.content)
            elif kind == "link_open":
                href = tok.attrs.get("href")
                hrefs.append(str(href) if href is not None else None)
                self.link_open(hrefs[-1])
            elif kind == "link_close":
                self.link_close(hrefs.pop() if hrefs else None)
            elif kind == "image":
                self.image(tok)
            elif tok.nesting == 0 and tok.content:
                self.out.append(_esc(tok.content))

    def result(self) -> str:
        for name, _ in reversed(self.open):
            if name:
                self.out.append(f"</{name}>")
        return _drop_empty_inline("".join(self.out))


def _drop_empty_inline(text: str) -> str:
    while "></" in text:
        stripped = _EMPTY_INLINE.sub("", text)
        if stripped == text:
            break
        text = stripped
    return text


def _strip_lines(text: str, joiner: str = "\n") -> str:
    """Drop the spaces and tabs around line breaks (linear, unlike a regex on long runs)."""
    if "\n" not in text:
        return text
    return joiner.join(line.strip(" \t") for line in text.split("\n"))


def _rstrip_lines(text: str) -> str:
    return "\n".join(line.rstrip(" \t") for line in text.split("\n"))


@lru_cache(maxsize=4096)
def _inline_html(content: str, refs: tuple[tuple[str, str, str], ...], wrap: str | None) -> str:
    if not _INLINE_SPECIAL.search(content):
        text = _strip_lines(content)
        return f"<{wrap}>{text}</{wrap}>" if wrap and text else text
    writer = _InlineWriter(wrap)
    writer.feed(_inline_tokens(content, refs))
    return writer.result()


@lru_cache(maxsize=4096)
def _inline_plain(content: str, refs: tuple[tuple[str, str, str], ...]) -> str:
    if not _INLINE_SPECIAL.search(content):
        return _strip_lines(content, " ")
    return _plain_of(_inline_tokens(content, refs))


# --------------------------------------------------------------------------- block rendering


def _char_width(char: str) -> int:
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def _display_width(text: str) -> int:
    """Columns ``text`` takes in a monospace font: CJK and emoji count double."""
    if text.isascii():
        return len(text)
    return sum(_char_width(char) for char in text)


def _pad(text: str, width: int, align: str) -> str:
    gap = width - _display_width(text)
    if align == "right":
        return " " * gap + text
    if align == "center":
        left = gap // 2
        return " " * left + text + " " * (gap - left)
    return text + " " * gap


def _indent(body: str, prefix: str) -> str:
    """Indent every line but the first by ``prefix``, leaving ``<pre>`` blocks alone."""
    if "<pre>" not in body:
        return body.replace("\n", "\n" + prefix)
    newline = "\n" + prefix
    return _PRE_OR_NEWLINE.sub(
        lambda match: newline if match.group() == "\n" else match.group(), body
    )


def _code_block(content: str, info: str) -> str:
    if content.endswith("\n"):
        content = content[:-1]
    if not content.strip():
        return ""
    words = info.split()
    lang = words[0] if words else ""
    if lang and _LANG_RE.match(lang):
        return f'<pre><code class="language-{_esc_attr(lang)}">{_esc(content)}</code></pre>'
    return f"<pre>{_esc(content)}</pre>"


class _BlockRenderer:
    """Walks markdown-it block tokens, producing one HTML string per block."""

    def __init__(self, tokens: list[Token], refs: tuple[tuple[str, str, str], ...]) -> None:
        self.tokens = tokens
        self.refs = refs
        self.close = self._match_closers(tokens)

    @staticmethod
    def _match_closers(tokens: list[Token]) -> list[int]:
        close = list(range(len(tokens)))
        stack: list[int] = []
        for index, tok in enumerate(tokens):
            if tok.nesting == 1:
                stack.append(index)
            elif tok.nesting == -1 and stack:
                close[stack.pop()] = index
        return close

    def inline(self, content: str, wrap: str | None = None) -> str:
        return _inline_html(content, self.refs, wrap)

    def blocks(self, start: int, end: int, quoted: bool) -> list[str]:
        out: list[str] = []
        index = start
        tokens = self.tokens
        while index < end:
            tok = tokens[index]
            kind = tok.type
            after = self.close[index] + 1
            if kind == "paragraph_open":
                out.append(self.inline(tokens[index + 1].content))
            elif kind == "heading_open":
                out.append(self.inline(tokens[index + 1].content, "b"))
            elif kind in ("fence", "code_block"):
                out.append(_code_block(tok.content, tok.info))
            elif kind in ("bullet_list_open", "ordered_list_open"):
                out.append(self.list_block(index, after - 1, quoted))
            elif kind == "blockquote_open":
                out.append(self.quote(index, after - 1, quoted))
            elif kind == "table_open":
                out.append(self.table(index, after - 1))
            elif kind == "hr":
                out.append(_HR)
            elif kind in ("html_block", "inline"):
                out.append(_esc(tok.content.strip()))
            index = after
        return [block for block in out if block]

    def quote(self, start: int, end: int, quoted: bool) -> str:
        body = "\n\n".join(self.blocks(start + 1, end, True))
        if quoted or not body:
            return body  # Telegram does not nest blockquotes
        if len(body) > _EXPANDABLE_QUOTE_CHARS:
            return f"<blockquote expandable>{body}</blockquote>"
        return f"<blockquote>{body}</blockquote>"

    def list_block(self, start: int, end: int, quoted: bool, depth: int = 0) -> str:
        tokens = self.tokens
        ordered = tokens[start].type == "ordered_list_open"
        number = int(tokens[start].attrs.get("start", 1))
        lines: list[str] = []
        index = start + 1
        while index < end:
            item_end = self.close[index]
            if tokens[index].type == "list_item_open":
                bullet = f"{number}." if ordered else _BULLETS[min(depth, len(_BULLETS) - 1)]
                lines.append(self.list_item(index, item_end, bullet, quoted, depth))
                number += 1
            index = item_end + 1
        return "\n".join(lines)

    def list_item(self, start: int, end: int, bullet: str, quoted: bool, depth: int) -> str:
        tokens = self.tokens
        first = start + 1
        parts: list[str] = []
        if first < end and tokens[first].type == "paragraph_open":
            content = tokens[first + 1].content
            task = _TASK_RE.match(content)
            if task:
                box = _TASK_BOXES[task.group(1)]
                bullet = f"{bullet} {box}" if bullet[0].isdigit() else box
                content = content[task.end() :]
            parts.append(self.inline(content))
            first = self.close[first] + 1
        parts.extend(self.item_block(first, end, quoted, depth))
        body = "\n".join(part for part in parts if part)
        marker = bullet + " "
        return marker + _indent(body, " " * len(marker))

    def item_block(self, start: int, end: int, quoted: bool, depth: int) -> list[str]:
        out: list[str] = []
        index = start
        while index < end:
            after = self.close[index] + 1
            if self.tokens[index].type in ("bullet_list_open", "ordered_list_open"):
                out.append(self.list_block(index, after - 1, quoted, depth + 1))
            else:
                out.extend(self.blocks(index, after, quoted))
            index = after
        return out

    def table(self, start: int, end: int) -> str:
        rows: list[list[str]] = []
        aligns: list[str] = []
        for tok in self.tokens[start:end]:
            if tok.type == "tr_open":
                rows.append([])
            elif tok.type == "th_open":
                style = str(tok.attrs.get("style", ""))
                aligns.append(style.rpartition(":")[2] if style else "left")
            elif tok.type == "inline" and rows:
                rows[-1].append(_inline_plain(tok.content, self.refs).strip())
        columns = max((len(row) for row in rows), default=0)
        if not columns:
            return ""
        aligns += ["left"] * (columns - len(aligns))
        for row in rows:
            row += [""] * (columns - len(row))
        widths = [max(_display_width(row[col]) for row in rows) for col in range(columns)]
        lines = [
            " │ ".join(_pad(cell, widths[col], aligns[col]) for col, cell in enumerate(row))
            for row in rows
        ]
        lines.insert(1, "─┼─".join("─" * max(width, 1) for width in widths))
        body = "\n".join(line.rstrip() for line in lines)
        return f"<pre>{_esc(body)}</pre>"


# Markdown whose block structure may be more than paragraphs: a line that could open (or end a
# paragraph with) a heading, quote, list, rule, fence, indented code, HTML block, reference or
# table; a pipe anywhere (tables, spoilers); a NUL (replaced before parsing); whitespace other
# than spaces and newlines.
_NOT_ONLY_PARAGRAPHS = re.compile(
    r"^(?: {0,3}(?:[#>+=\-:<\[`~0-9]|[*_](?:[ ]|$)|[*_][*_ ]*$)| {4})|[|\x00]|[^\S \n]",
    re.MULTILINE,
)
_BLANK_LINES = re.compile(r"\n(?: *\n)+")


def _paragraphs_only(markdown: str) -> list[str] | None:
    """The paragraphs' contents (as markdown-it would take them) when the Markdown is nothing
    but paragraphs, as most chat answers are; None when it may be more."""
    if _NOT_ONLY_PARAGRAPHS.search(markdown):
        return None
    return [block.strip(" \n") for block in _BLANK_LINES.split(markdown)]


def markdown_to_html(markdown: str) -> str:
    """Render LLM Markdown (also a cut-off prefix of it) as Telegram ``parse_mode="HTML"``."""
    if not markdown or not markdown.strip():
        return ""
    paragraphs = _paragraphs_only(markdown)
    if paragraphs is not None:
        # No block parse: it was most of a short answer's render, and drafts render often.
        html = (_inline_html(content, (), None) for content in paragraphs if content)
        return _rstrip_lines("\n\n".join(block for block in html if block)).strip()
    return _parsed_html(markdown)


def _parsed_html(markdown: str) -> str:
    """:func:`markdown_to_html` through markdown-it's block parser, for any Markdown."""
    env: dict[str, Any] = {}
    tokens = _MD.parse(markdown, env)
    if any(tok.level >= _MAX_NESTING - 1 for tok in tokens):
        # The parser drops what is nested deeper than it follows: show the source instead.
        return _esc(_rstrip_lines(markdown).strip())
    renderer = _BlockRenderer(tokens, _references_key(env))
    return _rstrip_lines("\n\n".join(renderer.blocks(0, len(tokens), False))).strip()


# --------------------------------------------------------------------------- HTML splitting

_TEXT, _OPEN, _CLOSE = 0, 1, 2
_TAG_RE = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)[^<>]*>")
_ENTITY_MAX = 12  # room an entity such as "&#x1F600;" may need, with a margin
_BLOCK_TAGS = frozenset({"pre", "blockquote"})
_TAG_STRIP = re.compile(r"<[^>]*>")
_LEAD = re.compile(r"^((?:<[A-Za-z][^<>]*>)*)(\s+)")
_EMPTY_ELEMENT = re.compile(r"<([A-Za-z][A-Za-z0-9-]*)(?:\s[^>]*)?></\1>")

# Break kinds, best first, with how full (0..1) a part must be before a break of the kind is
# preferred over a worse kind later in the part.
_PARAGRAPH, _LINE, _SENTENCE, _SPACE, _CJK = range(5)
_MIN_FILL = (0.3, 0.5, 0.5, 0.5, 0.5)
_BREAK_RES = (
    re.compile(r"\n[ \t]*\n"),
    re.compile(r"\n"),
    re.compile(r"[.!?…](?=\s)|[。！？]"),
    re.compile(r"[ \t]|(?<=[，、；：])"),
    re.compile(r"(?<=[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef])"),
)
_BREAK_AFTER = (False, False, True, False, False)


class _Tag(NamedTuple):
    name: str
    opening: str
    closing: str
    cost: int  # len(opening) + len(closing)


class _Event(NamedTuple):
    kind: int
    src: str
    tag: _Tag | None
    vis: int  # UTF-16 length of the visible text (text events only)
    at: int  # where the event starts in the HTML


_KNOWN_ENTITIES = (("&amp;", 4), ("&lt;", 3), ("&gt;", 3), ("&quot;", 5))


def _utf16_len(text: str) -> int:
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def _visible_len(src: str) -> int:
    """UTF-16 length of the text an HTML text run shows."""
    size = _utf16_len(src)
    if "&" not in src:
        return size
    amps = src.count("&")
    for entity, extra in _KNOWN_ENTITIES:
        count = src.count(entity)
        amps -= count
        size -= count * extra
    if amps:
        return _utf16_len(_html.unescape(src))
    return size


def _lex(html: str, limit: int) -> list[_Event]:
    """Tags and text runs; a tag that cannot fit in a part with its ancestors is dropped."""
    events: list[_Event] = []
    append = events.append
    stack: list[tuple[str, _Tag | None]] = []
    tags: dict[str, _Tag] = {}
    overhead = 0
    pos = 0
    for match in _TAG_RE.finditer(html):
        begin = match.start()
        if begin > pos:
            text = html[pos:begin]
            append(_Event(_TEXT, text, None, _visible_len(text), pos))
        pos = match.end()
        source = match.group(0)
        if source[1] == "/":
            name = match.group(2).lower()
            depth = len(stack) - 1
            while depth >= 0 and stack[depth][0] != name:
                depth -= 1
            while depth >= 0 and len(stack) > depth:
                _, closed = stack.pop()
                if closed is not None:
                    overhead -= closed.cost
                    append(_Event(_CLOSE, closed.closing, closed, 0, begin))
        elif not source.endswith("/>"):
            tag = tags.get(source)
            if tag is None:
                name = match.group(2).lower()
                closing = f"</{name}>"
                tag = tags[source] = _Tag(name, source, closing, len(source) + len(closing))
            if overhead + tag.cost + _ENTITY_MAX > limit:
                stack.append((tag.name, None))
                continue
            overhead += tag.cost
            stack.append((tag.name, tag))
            append(_Event(_OPEN, source, tag, 0, begin))
    if pos < len(html):
        text = html[pos:]
        append(_Event(_TEXT, text, None, _visible_len(text), pos))
    for _, tag in reversed(stack):
        if tag is not None:
            append(_Event(_CLOSE, tag.closing, tag, 0, len(html)))
    return events


def _is_joiner(char: str) -> bool:
    return (
        char == "\u200d"
        or "\ufe00" <= char <= "\ufe0f"
        or "\U0001f3fb" <= char <= "\U0001f3ff"
        or unicodedata.combining(char) != 0
    )


def _safe_hard_cut(text: str, cut: int, low: int, entities: bool = True) -> int:
    """Move ``cut`` back so it splits neither an entity nor a character cluster."""
    amp = text.rfind("&", max(low, cut - _ENTITY_MAX), cut) if entities else -1
    if amp >= 0 and text.find(";", amp, cut) < 0:
        cut = amp
    moved = cut
    while (
        moved > low
        and moved < len(text)
        and (_is_joiner(text[moved]) or text[moved - 1] == "\u200d")
    ):
        moved -= 1
    return moved if moved > low else cut


def _atom_end(text: str, pos: int) -> int:
    """End of the character or entity starting at ``pos``."""
    if text.startswith("&", pos):
        semi = text.find(";", pos, pos + _ENTITY_MAX)
        if semi > 0:
            return semi + 1
    return pos + 1


def _fit(text: str, start: int, room_src: int, room_vis: int, visible: bool) -> int:
    """Largest ``end`` with ``text[start:end]`` inside both budgets."""
    end = min(len(text), start + max(room_src, 0))
    measure = _visible_len if visible else _utf16_len
    if measure(text[start:end]) <= room_vis:
        return end
    low, high = start, end
    while low < high:
        mid = (low + high + 1) // 2
        if measure(text[start:mid]) <= room_vis:
            low = mid
        else:
            high = mid - 1
    return low


def _last_break(text: str, kind: int, low: int, high: int) -> int:
    """Position of the last break of ``kind`` in ``text[low:high]`` past ``low``, or -1."""
    best = -1
    after = _BREAK_AFTER[kind]
    for match in _BREAK_RES[kind].finditer(text, low, high):
        cut = match.end() if after else match.start()
        if low < cut <= high:
            best = cut
    return best


@dataclass(slots=True)
class _Mark:
    """A position in the event stream inside the part being filled."""

    event: int
    offset: int
    used: int
    stack: tuple[_Tag, ...]


class _Splitter:
    """Greedy splitter: fill a part as far as the budgets allow, then end it at the best break.

    A part's budget counts the reopened tags at its start and the closing tags it needs at its
    end; closing tags are reserved as soon as their opening tag is taken in.
    """

    def __init__(self, html: str, limit: int) -> None:
        self.html = html
        self.limit = limit
        self.events = _lex(html, limit)
        self.borders = self._paragraph_borders()

    def _paragraph_borders(self) -> list[int]:
        """Where paragraphs and code blocks start or end in the HTML, in order."""
        borders: list[int] = []
        blank_line = _BREAK_RES[_PARAGRAPH]
        for ev in self.events:
            if ev.kind == _TEXT:
                if "\n" in ev.src:
                    borders.extend(ev.at + match.start() for match in blank_line.finditer(ev.src))
            elif ev.tag is not None and ev.tag.name in _BLOCK_TAGS:
                borders.append(ev.at if ev.kind == _OPEN else ev.at + len(ev.src))
        return borders

    def parts(self) -> list[str]:
        out: list[str] = []
        stack: tuple[_Tag, ...] = ()
        event, offset = 0, 0
        while event < len(self.events):
            cut = self.fill(event, offset, stack)
            if (cut.event, cut.offset) <= (event, offset):  # never expected; never loop
                cut = self.step(_Mark(event, offset, 0, stack))
            part = self.build(event, offset, stack, cut)
            if part:
                out.append(part)
            event, offset, stack = cut.event, cut.offset, cut.stack
        return out

    def fill(self, event: int, offset: int, stack: tuple[_Tag, ...]) -> _Mark:
        """Where the part starting at ``(event, offset)`` with ``stack`` open should end."""
        limit = self.limit
        used = sum(len(tag.opening) for tag in stack)
        reserved = sum(len(tag.closing) for tag in stack)
        vis = 0
        marks: list[_Mark] = []
        events = self.events
        while event < len(events):
            ev = events[event]
            mark = _Mark(event, offset, used, stack)
            if ev.kind == _TEXT:
                src = ev.src
                size = len(src) - offset
                fits = used + reserved + size <= limit
                vis_size = 0
                if fits:
                    vis_size = ev.vis if offset == 0 else _visible_len(src[offset:])
                if fits and vis + vis_size <= limit:
                    marks.append(mark)
                    used += size
                    vis += vis_size
                else:
                    end = _fit(src, offset, limit - used - reserved, limit - vis, True)
                    marks.append(mark)
                    return self.choose(marks, _Mark(event, end, used + end - offset, stack))
            elif ev.kind == _OPEN:
                assert ev.tag is not None
                if used + reserved + ev.tag.cost > limit:
                    return self.choose(marks, mark)
                marks.append(mark)
                used += len(ev.src)
                reserved += len(ev.tag.closing)
                stack = (*stack, ev.tag)
            else:
                marks.append(mark)
                used += len(ev.src)
                reserved -= len(ev.src)
                stack = stack[:-1]
            event += 1
            offset = 0
        return _Mark(event, 0, used, stack)

    def choose(self, marks: list[_Mark], overflow: _Mark) -> _Mark:
        """The best place to end a part whose content must stop at ``overflow``."""
        start = marks[0] if marks else overflow
        base = sum(len(tag.opening) for tag in start.stack)
        room = self.limit - base - sum(len(tag.closing) for tag in start.stack)
        border = self.best_of_kind(marks, overflow, _PARAGRAPH, base + 1)
        if border is not None and (
            border.used >= base + _MIN_FILL[_PARAGRAPH] * room or self.next_block_fits(border)
        ):
            return border
        for kind, min_fill in enumerate(_MIN_FILL[1:], start=_LINE):
            floor = base + min_fill * room
            cut = self.best_of_kind(marks, overflow, kind, floor)
            if cut is not None:
                return cut
        return self.hard_cut(start, overflow)

    def best_of_kind(
        self, marks: list[_Mark], overflow: _Mark, kind: int, floor: float
    ) -> _Mark | None:
        events = self.events
        bounds = [*marks[1:], overflow]
        for mark, bound in zip(reversed(marks), reversed(bounds), strict=True):
            if bound.used < floor:
                return None
            if kind == _PARAGRAPH and self.is_block_border(bound):
                return bound
            ev = events[mark.event]
            if ev.kind != _TEXT:
                continue
            high = bound.offset if bound.event == mark.event else len(ev.src)
            cut = _last_break(ev.src, kind, mark.offset, high)
            if cut > mark.offset and mark.used + cut - mark.offset >= floor:
                return _Mark(mark.event, cut, mark.used + cut - mark.offset, mark.stack)
        return None

    def next_block_fits(self, mark: _Mark) -> bool:
        """Whether the paragraph or code block after ``mark`` would fit in a part of its own."""
        events = self.events
        at = events[mark.event].at + mark.offset if mark.event < len(events) else len(self.html)
        index = bisect_right(self.borders, at)
        end = self.borders[index] if index < len(self.borders) else len(self.html)
        overhead = sum(tag.cost for tag in mark.stack)
        return overhead + end - at <= self.limit and _utf16_len(self.html[at:end]) <= self.limit

    def is_block_border(self, mark: _Mark) -> bool:
        if mark.offset:
            return False
        events = self.events
        if mark.event < len(events):
            nxt = events[mark.event]
            if nxt.kind == _OPEN and nxt.tag is not None and nxt.tag.name in _BLOCK_TAGS:
                return True
        prev = events[mark.event - 1]
        return prev.kind == _CLOSE and prev.tag is not None and prev.tag.name in _BLOCK_TAGS

    def hard_cut(self, start: _Mark, overflow: _Mark) -> _Mark:
        ev = self.events[overflow.event] if overflow.event < len(self.events) else None
        if ev is not None and ev.kind == _TEXT and overflow.offset > 0:
            low = start.offset if start.event == overflow.event else 0
            cut = _safe_hard_cut(ev.src, overflow.offset, low)
            if (overflow.event, cut) == (start.event, start.offset):
                cut = _atom_end(ev.src, cut)
            return _Mark(overflow.event, cut, 0, overflow.stack)
        if (overflow.event, overflow.offset) == (start.event, start.offset):
            return self.step(start)
        return overflow

    def step(self, mark: _Mark) -> _Mark:
        """The position one character, entity or tag after ``mark``."""
        if mark.event >= len(self.events):
            return mark
        ev = self.events[mark.event]
        stack = mark.stack
        if ev.kind == _TEXT:
            end = _atom_end(ev.src, mark.offset)
            if end < len(ev.src):
                return _Mark(mark.event, end, 0, stack)
        elif ev.kind == _OPEN and ev.tag is not None:
            stack = (*stack, ev.tag)
        else:
            stack = stack[:-1]
        return _Mark(mark.event + 1, 0, 0, stack)

    def build(self, event: int, offset: int, stack: tuple[_Tag, ...], cut: _Mark) -> str:
        pieces = [tag.opening for tag in stack]
        events = self.events
        index = event
        while index < cut.event or (index == cut.event and cut.offset > 0):
            src = events[index].src
            stop = cut.offset if index == cut.event else len(src)
            pieces.append(src[offset:stop] if offset or stop < len(src) else src)
            offset = 0
            index += 1
        pieces.extend(tag.closing for tag in reversed(cut.stack))
        return _tidy_part("".join(pieces))


def _tidy_part(part: str) -> str:
    """Trim whitespace at both ends (inside edge tags too) and drop empty elements."""
    lead = _LEAD.match(part)
    if lead:
        opens, space = lead.group(1), lead.group(2)
        keep = space.rpartition("\n")[2] if "<pre" in opens else ""
        part = opens + keep + part[lead.end() :]
    end = len(part)
    while part.endswith(">", 0, end):
        begin = part.rfind("<", 0, end)
        if begin < 0 or not part.startswith("</", begin):
            break
        end = begin
    part = part[:end].rstrip() + part[end:]
    while "></" in part:
        stripped = _EMPTY_ELEMENT.sub("", part)
        if stripped == part:
            break
        part = stripped
    text = _TAG_STRIP.sub("", part)
    if not text.strip() or ("&#" in text and not _html.unescape(text).strip()):
        return ""
    return part.strip()


def _check_limit(limit: int) -> None:
    if limit < _MIN_LIMIT:
        raise ValueError(f"limit must be at least {_MIN_LIMIT}, got {limit}")


def split_message(html: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Split Telegram HTML into well-formed parts of at most ``limit`` characters of source
    and ``limit`` UTF-16 code units of visible text, preferring paragraph and code-block
    borders, then line breaks, sentence ends, spaces, and cutting hard only as a last resort.
    """
    _check_limit(limit)
    html = html.strip()
    if not html:
        return []
    if len(html) <= limit and _visible_len(_TAG_STRIP.sub("", html)) <= limit:
        part = _tidy_part(html)
        return [part] if part else []
    return _Splitter(html, limit).parts()


def render_parts(markdown: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Markdown to Telegram HTML messages, each within ``limit``."""
    return list(_rendered_parts(markdown, limit))


@lru_cache(maxsize=32)
def _rendered_parts(markdown: str, limit: int) -> tuple[str, ...]:
    """The parts, kept for the few latest answers: a finished answer is rendered to check how
    many messages it needs and again to send them (a long one costs milliseconds each time)."""
    return tuple(split_message(markdown_to_html(markdown), limit))


def html_to_plain(html: str) -> str:
    """The text Telegram HTML shows: tags removed, entities decoded."""
    return _html.unescape(_TAG_STRIP.sub("", html))


def split_plain(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Split plain text into trimmed parts of at most ``limit`` characters and UTF-16 units."""
    _check_limit(limit)
    parts: list[str] = []
    text = text.strip()
    start = 0
    while start < len(text):
        rest = len(text) - start
        if rest <= limit and _utf16_len(text[start:]) <= limit:
            parts.append(text[start:])
            break
        end = _fit(text, start, limit, limit, False)
        cut = _plain_cut(text, start, end)
        head = text[start:cut].rstrip()
        if head:
            parts.append(head)
        start = cut
        while start < len(text) and text[start].isspace():
            start += 1
    return parts


def _plain_cut(text: str, start: int, end: int) -> int:
    for kind, min_fill in enumerate(_MIN_FILL):
        cut = _last_break(text, kind, start, end)
        if cut >= start + min_fill * (end - start):
            return cut
    cut = _safe_hard_cut(text, end, start, entities=False)
    return cut if cut > start else max(end, start + 1)
