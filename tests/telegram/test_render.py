"""Markdown to Telegram HTML rendering and splitting (bot/telegram/render.py)."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.telegram.render import (
    _paragraphs_only,
    _parsed_html,
    html_to_plain,
    markdown_to_html,
    render_parts,
    split_message,
    split_plain,
)

# --------------------------------------------------------------------------- helpers

_ALLOWED_ATTRS: dict[str, set[str]] = {
    "b": set(),
    "strong": set(),
    "i": set(),
    "em": set(),
    "u": set(),
    "ins": set(),
    "s": set(),
    "strike": set(),
    "del": set(),
    "span": {"class"},
    "tg-spoiler": set(),
    "a": {"href"},
    "code": {"class"},
    "pre": set(),
    "blockquote": {"expandable"},
}
_ENTITIES = {"amp", "lt", "gt", "quot"}
_ENTITY_SOURCE = re.compile(r"&(?:amp|lt|gt|quot|#\d+|#x[0-9a-fA-F]+);")


class _TelegramHtmlChecker(HTMLParser):
    """Collects the visible text and every way the markup breaks Telegram's rules."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.text: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _ALLOWED_ATTRS:
            self.errors.append(f"tag <{tag}> not allowed")
            return
        for name, value in attrs:
            if name not in _ALLOWED_ATTRS[tag]:
                self.errors.append(f"attribute {name} not allowed on <{tag}>")
            elif tag == "a" and not re.match(r"(?i)(https?|tg|mailto):", value or ""):
                self.errors.append(f"unsafe href {value!r}")
            elif tag == "span" and value != "tg-spoiler":
                self.errors.append(f"span class {value!r}")
            elif tag == "code" and not re.fullmatch(r"language-[\w+#.\-]+", value or ""):
                self.errors.append(f"code class {value!r}")
        if tag == "blockquote" and "blockquote" in self.stack:
            self.errors.append("nested blockquote")
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unbalanced </{tag}> with open {self.stack}")
        else:
            self.stack.pop()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.errors.append(f"self-closing <{tag}/>")

    def handle_data(self, data: str) -> None:
        if any(char in data for char in "<>&"):
            self.errors.append(f"unescaped markup in {data!r}")
        self.text.append(data)

    def handle_entityref(self, name: str) -> None:
        if name not in _ENTITIES:
            self.errors.append(f"entity &{name};")
        self.text.append(html.unescape(f"&{name};"))

    def handle_charref(self, name: str) -> None:
        self.text.append(html.unescape(f"&#{name};"))

    def handle_comment(self, data: str) -> None:
        self.errors.append("comment")

    def handle_decl(self, decl: str) -> None:
        self.errors.append("declaration")

    def handle_pi(self, data: str) -> None:
        self.errors.append("processing instruction")

    def unknown_decl(self, data: str) -> None:
        self.errors.append("unknown declaration")


def check_html(source: str) -> str:
    """Assert ``source`` is HTML Telegram accepts; return its visible text."""
    checker = _TelegramHtmlChecker()
    checker.feed(source)
    checker.close()
    if checker.stack:
        checker.errors.append(f"unclosed {checker.stack}")
    for amp in re.finditer("&", source):
        if not _ENTITY_SOURCE.match(source, amp.start()):
            checker.errors.append(f"bare & at {amp.start()}")
    assert not checker.errors, (checker.errors, source)
    return "".join(checker.text)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def check_parts(parts: list[str], whole_html: str, limit: int) -> None:
    """Each part fits and is well-formed; together they show all of ``whole_html``."""
    visible = []
    for part in parts:
        assert part, "empty part"
        assert part == part.strip(), "part not trimmed"
        assert len(part) <= limit, (len(part), limit)
        text = check_html(part)
        assert text.strip(), f"part without visible text: {part!r}"
        assert utf16_len(text) <= limit
        visible.append(text)
    assert squash("".join(visible)) == squash(check_html(whole_html))


# --------------------------------------------------------------------------- inline constructs


def test_bold_italic_strikethrough() -> None:
    assert markdown_to_html("**bold** *it* _it2_ ~~gone~~ ***both***") == (
        "<b>bold</b> <i>it</i> <i>it2</i> <s>gone</s> <i><b>both</b></i>"
    )


def test_inline_code_is_escaped_and_kept_out_of_other_formatting() -> None:
    assert markdown_to_html("use `a<b && c>d`") == "use <code>a&lt;b &amp;&amp; c&gt;d</code>"
    # Telegram lets no entity contain code, so bold is closed around it and reopened.
    assert markdown_to_html("**bold `x` still**") == "<b>bold </b><code>x</code><b> still</b>"


def test_escaping_of_plain_text_and_raw_html() -> None:
    assert markdown_to_html("a < b & c > d") == "a &lt; b &amp; c &gt; d"
    out = markdown_to_html("<script>alert('x')</script>")
    assert out == "&lt;script&gt;alert('x')&lt;/script&gt;"
    block = markdown_to_html('<div class="x">\n<b>hi</b>\n</div>')
    assert "<div" not in block and "<b>" not in block
    assert '&lt;div class="x"&gt;' in block
    check_html(block)


def test_links_keep_only_safe_schemes() -> None:
    assert markdown_to_html("[site](https://example.com/a?b=1&c=2)") == (
        '<a href="https://example.com/a?b=1&amp;c=2">site</a>'
    )
    assert markdown_to_html("[tg](tg://resolve?domain=dazi)").startswith('<a href="tg://')
    assert markdown_to_html("<me@example.com>") == (
        '<a href="mailto:me@example.com">me@example.com</a>'
    )
    assert markdown_to_html("<https://auto.example>") == (
        '<a href="https://auto.example">https://auto.example</a>'
    )
    for unsafe in ("javascript:alert(1)", "data:text/html,x", "/relative", "file:///etc"):
        out = markdown_to_html(f"[click **me**]({unsafe})")
        assert out == "click <b>me</b>", out
    assert "<a" not in markdown_to_html('[x](javascript:alert("1"))')


def test_link_attribute_is_escaped() -> None:
    out = markdown_to_html('[q](<https://e.com/"><script>>)')
    check_html(out)
    assert "<script" not in out


def test_empty_link_text_shows_the_url() -> None:
    assert markdown_to_html("[](https://e.com)") == '<a href="https://e.com">https://e.com</a>'


def test_code_inside_link_is_plain_text() -> None:
    assert markdown_to_html("[`api`](https://e.com)") == '<a href="https://e.com">api</a>'


def test_image_becomes_link_with_alt_text() -> None:
    assert markdown_to_html("![a cat](https://img.example/cat.png)") == (
        '<a href="https://img.example/cat.png">a cat</a>'
    )
    assert markdown_to_html("![](https://img.example/x.png)") == (
        '<a href="https://img.example/x.png">image</a>'
    )
    assert markdown_to_html("![alt](javascript:x)") == "alt"


def test_spoiler() -> None:
    assert markdown_to_html("the end: ||he lives|| ok") == (
        "the end: <tg-spoiler>he lives</tg-spoiler> ok"
    )
    assert markdown_to_html("||**bold** secret||") == "<tg-spoiler><b>bold</b> secret</tg-spoiler>"
    assert markdown_to_html("a || b") == "a || b"
    assert markdown_to_html("unclosed ||spoil") == "unclosed ||spoil"


def test_line_breaks_inside_paragraph_are_kept() -> None:
    assert markdown_to_html("one\ntwo  \nthree\\\nfour") == "one\ntwo\nthree\nfour"


# --------------------------------------------------------------------------- block constructs


def test_paragraphs_are_separated_by_one_blank_line() -> None:
    out = markdown_to_html("first   \n\n\n\nsecond  \n\n  third")
    assert out == "first\n\nsecond\n\nthird"


def test_headings_become_bold_lines() -> None:
    assert markdown_to_html("# Title\n\nbody\n\nSub\n---\n\n### *x* y") == (
        "<b>Title</b>\n\nbody\n\n<b>Sub</b>\n\n<b><i>x</i> y</b>"
    )


def test_fenced_code_with_and_without_language() -> None:
    assert markdown_to_html("```python\nif a < b:\n    pass\n```") == (
        '<pre><code class="language-python">if a &lt; b:\n    pass</code></pre>'
    )
    assert markdown_to_html("```\nplain & simple\n```") == "<pre>plain &amp; simple</pre>"
    assert markdown_to_html('```"><x>\ncode\n```') == "<pre>code</pre>"
    assert markdown_to_html("    indented\n    code") == "<pre>indented\ncode</pre>"


def test_bullet_lists_with_nesting() -> None:
    out = markdown_to_html("- one\n- two **b**\n  - inner\n    - deeper\n- three")
    assert out == "• one\n• two <b>b</b>\n  ◦ inner\n    ▪ deeper\n• three"


def test_ordered_lists_keep_their_start() -> None:
    assert markdown_to_html("1. a\n1. b\n1. c") == "1. a\n2. b\n3. c"
    assert markdown_to_html("3. x\n4. y") == "3. x\n4. y"


def test_loose_list_items_with_several_paragraphs() -> None:
    out = markdown_to_html("- first\n\n  more of first\n\n- second")
    assert out == "• first\n  more of first\n• second"


def test_code_block_in_list_is_not_indented_inside() -> None:
    out = markdown_to_html("- run:\n\n  ```sh\n  ls -la\n    x\n  ```")
    assert out == '• run:\n<pre><code class="language-sh">ls -la\n  x</code></pre>'


def test_ordered_list_starting_at_zero() -> None:
    assert markdown_to_html("0. zero\n1. one") == "0. zero\n1. one"


def test_reference_links() -> None:
    out = markdown_to_html(
        "See [the docs][d] and [bad][j].\n\n[d]: https://docs.example\n[j]: javascript:x"
    )
    assert out == 'See <a href="https://docs.example">the docs</a> and bad.'


def test_nesting_deeper_than_the_parser_follows_shows_the_source() -> None:
    out = markdown_to_html(">" * 100 + " deep <text>")
    assert out.endswith("deep &lt;text&gt;")
    check_html(out)


def test_task_lists() -> None:
    assert markdown_to_html("- [ ] todo\n- [x] done\n- [X] also") == "☐ todo\n☑ done\n☑ also"
    assert markdown_to_html("1. [ ] first") == "1. ☐ first"


def test_blockquote_and_nested_quote_flattened() -> None:
    assert markdown_to_html("> quoted **text**\n> more") == (
        "<blockquote>quoted <b>text</b>\nmore</blockquote>"
    )
    out = markdown_to_html("> outer\n>\n> > inner")
    assert out == "<blockquote>outer\n\ninner</blockquote>"


def test_long_blockquote_is_expandable() -> None:
    out = markdown_to_html("> " + "word " * 400)
    assert out.startswith("<blockquote expandable>")
    check_html(out)


def test_table_becomes_aligned_monospace_block() -> None:
    table = (
        "| Name | Score | Note |\n|:-----|------:|:----:|\n"
        "| Alice | 9 | ok |\n| Bob | 100 | **x** |"
    )
    assert markdown_to_html(table) == (
        "<pre>"
        "Name  │ Score │ Note\n"
        "──────┼───────┼─────\n"
        "Alice │     9 │  ok\n"
        "Bob   │   100 │  x"
        "</pre>"
    )


def test_table_counts_cjk_as_double_width() -> None:
    out = markdown_to_html("| 名字 | n |\n|---|---|\n| 张三丰 | 1 |\n| ab | 2 |")
    lines = html.unescape(out.removeprefix("<pre>").removesuffix("</pre>")).split("\n")
    assert lines == ["名字   │ n", "───────┼──", "张三丰 │ 1", "ab     │ 2"]


def test_horizontal_rule() -> None:
    assert markdown_to_html("above\n\n---\n\nbelow") == "above\n\n———\n\nbelow"


def test_no_trailing_whitespace_and_empty_input() -> None:
    out = markdown_to_html("line   \nnext\t\n\n- item   \n\n```\ncode   \n```\n")
    assert not re.search(r"[ \t]\n|[ \t]$", out)
    assert markdown_to_html("") == ""
    assert markdown_to_html("  \n\n ") == ""
    assert render_parts("   ") == []


# --------------------------------------------------------------------------- partial markdown


@pytest.mark.parametrize(
    "partial",
    [
        "Here is code:\n\n```python\ndef f(x):\n    return x <",
        "Some **bold and *italic",
        "A [link](https://exa",
        "| a | b |\n|---|---|\n| 1 |",
        "> quote\n> - item\n>   ```\n>   code",
        "- [ ",
        "1. item\n   ```",
        "||spoil",
        "`code",
        "~~strike",
        "```",
    ],
)
def test_partial_markdown_stays_well_formed(partial: str) -> None:
    for end in range(1, len(partial) + 1):
        out = markdown_to_html(partial[:end])
        check_html(out)
        for part in render_parts(partial[:end], 20):
            check_html(part)


def test_unclosed_fence_renders_as_code() -> None:
    out = markdown_to_html("Intro\n\n```js\nlet a = 1 < 2;")
    assert out == 'Intro\n\n<pre><code class="language-js">let a = 1 &lt; 2;</code></pre>'


def test_unclosed_bold_is_literal() -> None:
    assert markdown_to_html("so **this is") == "so **this is"


# --------------------------------------------------------------------------- splitting


def _long_answer() -> str:
    paragraphs = [
        f"Paragraph {n}: the **answer** explains *things* with `code` and a "
        f"[link](https://example.com/{n}). " + "More words follow here. " * 12
        for n in range(12)
    ]
    code = "\n".join(f"    value_{n} = compute({n}) < limit & mask  # 注释" for n in range(140))
    cjk = "这是一个很长的中文段落，用来测试拆分。" * 120
    return (
        "# Long answer\n\n"
        + "\n\n".join(paragraphs[:6])
        + f"\n\n```python\ndef main():\n{code}\n```\n\n"
        + cjk
        + "\n\n"
        + "\n\n".join(paragraphs[6:])
        + "\n\n| col | 值 |\n|---|---|\n| a | 1 |\n\n- last\n- items"
    )


def test_long_answer_splits_into_valid_parts() -> None:
    markdown = _long_answer()
    assert len(markdown) > 12_000
    whole = markdown_to_html(markdown)
    parts = render_parts(markdown)
    assert len(parts) >= 4
    check_parts(parts, whole, 4096)
    # The code block is longer than one message: it continues with the same tags reopened.
    code_parts = [p for p in parts if "value_" in p]
    assert len(code_parts) >= 2
    for part in code_parts:
        assert '<pre><code class="language-python">' in part
        assert "</code></pre>" in part
    assert code_parts[1].startswith('<pre><code class="language-python">')
    # Code lines are not cut in the middle.
    for part in code_parts:
        inside = part.split('<code class="language-python">')[1].split("</code>")[0]
        assert inside.rstrip().endswith("注释")


def test_split_prefers_paragraph_borders() -> None:
    paragraphs = [f"Paragraph {n}. " + "Filler text goes on. " * 8 for n in range(10)]
    html_text = "\n\n".join(paragraphs)
    parts = split_message(html_text, 500)
    for part in parts:
        assert part.startswith("Paragraph ")
        assert part.endswith("Filler text goes on.")
    check_parts(parts, html_text, 500)


def test_split_prefers_code_block_borders() -> None:
    html_text = "intro text here\n\n<pre>" + "x = 1\n" * 30 + "</pre>\n\nafter"
    parts = split_message(html_text, 200)
    assert parts[0] == "intro text here"
    check_parts(parts, html_text, 200)


def test_split_falls_back_to_lines_sentences_spaces_then_hard() -> None:
    lines = "\n".join(f"line {n} with some words" for n in range(40))
    assert all(p.startswith("line ") for p in split_message(lines, 120))
    sentences = " ".join(f"Sentence number {n} ends here." for n in range(40))
    assert all(p.endswith(".") for p in split_message(sentences, 150))
    words = " ".join(f"word{n}" for n in range(100))
    assert all(re.fullmatch(r"word\d+( word\d+)*", p) for p in split_message(words, 100))
    hard = "x" * 250
    assert split_message(hard, 100) == ["x" * 100, "x" * 100, "x" * 50]


def test_split_reopens_long_bold_with_attributes() -> None:
    html_text = '<a href="https://e.com/?a=1&amp;b=2"><b>' + "bold words " * 60 + "</b></a>"
    parts = split_message(html_text, 200)
    assert len(parts) > 3
    for part in parts:
        assert part.startswith('<a href="https://e.com/?a=1&amp;b=2"><b>')
        assert part.endswith("</b></a>")
    check_parts(parts, html_text, 200)


def test_split_never_cuts_entities() -> None:
    html_text = "&amp;&lt;&gt;" * 200
    parts = split_message(html_text, 64)
    for part in parts:
        assert _ENTITY_SOURCE.sub("", part) == ""
    check_parts(parts, html_text, 64)


def test_split_counts_utf16_units_of_visible_text() -> None:
    emoji = "😀" * 3000  # 3000 characters of source, 6000 UTF-16 units on screen
    parts = split_message(emoji)
    assert len(parts) == 2
    assert all(utf16_len(p) <= 4096 for p in parts)
    assert "".join(parts) == emoji


def test_split_cjk_at_sentence_ends() -> None:
    text = "这是第一句话，内容很长。" * 100
    parts = split_message(text, 100)
    assert all(p.endswith("。") for p in parts)
    assert "".join(parts) == text


def test_split_short_and_empty() -> None:
    assert split_message("<b>hi</b>") == ["<b>hi</b>"]
    assert split_message("") == []
    assert split_message("  <b> </b>  ") == []
    with pytest.raises(ValueError):
        split_message("x", 3)


def test_tags_too_long_for_a_tiny_limit_are_dropped_not_broken() -> None:
    html_text = '<a href="https://example.com/' + "p" * 80 + '">x</a> tail'
    parts = split_message(html_text, 50)
    check_parts(parts, html_text, 50)
    assert "".join(parts).replace(" ", "") == "xtail"


# --------------------------------------------------------------------------- plain text


def test_html_to_plain() -> None:
    assert html_to_plain('<b>a</b> &lt;b&gt; &amp; <a href="https://x">link</a>') == (
        "a <b> & link"
    )
    markdown = "**bold** and `code` with <tag>"
    assert html_to_plain(markdown_to_html(markdown)) == "bold and code with <tag>"


def test_split_plain_prefers_borders_and_counts_utf16() -> None:
    text = "\n\n".join(f"Paragraph {n}. " + "Some words. " * 10 for n in range(8))
    parts = split_plain(text, 300)
    assert all(p.startswith("Paragraph") and p.endswith(".") for p in parts)
    assert squash("".join(parts)) == squash(text)
    emoji = "😀" * 100
    parts = split_plain(emoji, 50)
    assert parts == ["😀" * 25] * 4
    assert split_plain(" \n ") == []
    assert split_plain("a & b <c>") == ["a & b <c>"]


# --------------------------------------------------------------------------- properties

_MARKDOWNISH = st.sampled_from(
    [
        "**",
        "*",
        "_",
        "__",
        "`",
        "```",
        "```python\n",
        "~~",
        "||",
        "[",
        "]",
        "(",
        ")",
        "](https://e.com/x?a=1&b=2)",
        "](javascript:x)",
        "![",
        "<",
        ">",
        "&",
        "&amp;",
        "&#1;",
        "\n",
        "\n\n",
        "  ",
        "\t",
        "# ",
        "## ",
        "- ",
        "* ",
        "1. ",
        "> ",
        "- [ ] ",
        "- [x] ",
        "| a | b |\n|---|:-:|\n",
        "|",
        "---\n",
        "\\",
        '"',
        "<b>",
        "</i>",
        "<script>",
        "中文",
        "。",
        "，",
        "😀",
        "👍🏽",
        "é",
        "\u200d",
        "\ufe0f",
        "word",
        "Sentence. ",
        "https://x.y",
        "<https://e.com>",
        "    code\n",
    ]
)
_TEXTISH = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)),
    max_size=12,
)
_MARKDOWN = st.lists(st.one_of(_MARKDOWNISH, _TEXTISH), max_size=60).map("".join)
_SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(markdown=_MARKDOWN, limit=st.integers(min_value=50, max_value=300))
def test_any_markdown_renders_to_valid_parts_under_small_limits(markdown: str, limit: int) -> None:
    whole = markdown_to_html(markdown)
    check_html(whole)
    check_parts(render_parts(markdown, limit), whole, limit)


@_SETTINGS
@given(markdown=st.one_of(_MARKDOWN, st.text()))
def test_any_markdown_renders_to_valid_parts_at_telegram_limit(markdown: str) -> None:
    whole = markdown_to_html(markdown * 30)
    check_parts(render_parts(markdown * 30), whole, 4096)


# Pieces of chat answers made of paragraphs only (and near misses), for the shortcut that
# renders them without markdown-it's block parser.
_PARAGRAPHISH = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "**Sure!**",
                "**",
                "*",
                "_",
                "__",
                "*a*",
                "_b_",
                "`c`",
                "~~d~~",
                "[e](https://e.com)",
                "![f](https://f.com/f.png)",
                "\\",
                "\\*",
                "&amp;",
                "<b>",
                "word",
                " ",
                "  ",
                "    ",
                "\n",
                "\n\n",
                "  \n",
                "\n   \n",
                "\n- ",
                "\n1. ",
                "\n# ",
                "\n> ",
                "\n---",
                "\n===",
                "\n* * *",
                "\n***",
                "\n__x",
                "\n[g]: https://g.com",
                "[g]",
                "\u00a0",
                "\t",
                "\x00",
                "中文。",
                "😀",
                ".",
                "!",
            ]
        ),
        st.text(alphabet="ab *_\n", max_size=6),
    ),
    max_size=40,
).map("".join)


@settings(max_examples=600, deadline=None)
@given(markdown=st.one_of(_PARAGRAPHISH, _MARKDOWN))
def test_paragraph_only_answers_render_as_the_parser_renders_them(markdown: str) -> None:
    if _paragraphs_only(markdown) is not None:
        assert markdown_to_html(markdown) == _parsed_html(markdown)


def test_common_answers_take_the_paragraph_shortcut() -> None:
    answer = "**Sure!** Take a walk today.\n\nAnd call your *sister*: she asked about `it`."
    assert _paragraphs_only(answer) is not None
    assert markdown_to_html(answer) == _parsed_html(answer)
    for structured in ("# Title\ntext", "text\n- item", "a | b\n--|--", "text\n===", "> q"):
        assert _paragraphs_only(structured) is None


@settings(max_examples=300, deadline=None)
@given(text=st.text(), limit=st.integers(min_value=16, max_value=120))
def test_any_plain_text_splits_within_limits(text: str, limit: int) -> None:
    parts = split_plain(text, limit)
    for part in parts:
        assert part and part == part.strip()
        assert len(part) <= limit and utf16_len(part) <= limit
    assert squash("".join(parts)) == squash(text)


# --------------------------------------------------------------------------- speed


@pytest.mark.parametrize(
    "markdown",
    [
        "a" + " " * 20_000 + "b",
        "```\n" + " " * 20_000 + "x\n```",
        "x\t " * 5_000 + "\ny",
        "&" * 20_000,
        "<a" * 5_000,
        "😀" * 10_000,
        "||a" * 5_000,
    ],
)
def test_pathological_input_renders_valid_parts(markdown: str) -> None:
    # Speed on such input is measured by benchmarks/render_speed.py.
    check_parts(render_parts(markdown, 100), markdown_to_html(markdown), 100)
