"""The chat kind: the transport sets it, the domain never reads it from the sign of an id."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from bot.chats import ChatKind

BOT = Path(__file__).resolve().parents[1] / "bot"
TRANSPORT = BOT / "telegram"

#: Names that hold a chat's, user's or scope's id.
_ID_NAME = re.compile(r"(chat|user|owner|scope|group|peer)\w*_?id\w*$|^(chat|group|old|new)$")
#: The same test written in SQL.
_SQL_SIGN = re.compile(r"\b\w*(chat|user|owner|scope)_id\s*(<|>|<=|>=)\s*0\b", re.IGNORECASE)


def _domain_files() -> list[Path]:
    return sorted(path for path in BOT.rglob("*.py") if TRANSPORT not in path.parents)


def _name_of(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        return str(node.slice.value)
    return None


def _is_zero(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value == 0 and not isinstance(node.value, bool)


def _sign_tests(tree: ast.AST) -> list[int]:
    """Lines that compare an id with zero, or negate an id."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and len(node.comparators) == 1:
            left, right = node.left, node.comparators[0]
            ordered = isinstance(node.ops[0], ast.Lt | ast.LtE | ast.Gt | ast.GtE)
            side = left if _is_zero(right) else right if _is_zero(left) else None
            name = _name_of(side) if side is not None else None
            if ordered and name is not None and _ID_NAME.search(name):
                lines.append(node.lineno)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            name = _name_of(node.operand)
            if name is not None and _ID_NAME.search(name):
                lines.append(node.lineno)
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and _SQL_SIGN.search(node.value)
        ):
            lines.append(node.lineno)
    return lines


def test_no_domain_code_reads_a_chat_kind_from_the_sign_of_an_id() -> None:
    found = [
        f"{path.relative_to(BOT.parent)}:{line}"
        for path in _domain_files()
        for line in _sign_tests(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert found == [], "use the chat kind (bot.chats), not the sign of an id: " + ", ".join(found)


def test_the_check_finds_the_patterns_it_forbids() -> None:
    samples = [
        "group = chat_id < 0",
        "if message.chat_id >= 0: pass",
        "private = 0 < scope_id",
        "owner = -chat_id",
        "q = 'SELECT id FROM messages WHERE user_id = ? AND scope_id < 0'",
        "x = row['chat_id'] > 0",
    ]
    for sample in samples:
        assert _sign_tests(ast.parse(sample)), sample
    for fine in ["late = wait > 0", "if days < 0: pass", "same = chat_id == user_id"]:
        assert not _sign_tests(ast.parse(fine)), fine


def test_is_group_is_defined_once() -> None:
    definitions = [
        f"{path.relative_to(BOT.parent)}:{node.lineno}"
        for path in sorted(BOT.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef) and node.name == "is_group"
    ]
    assert len(definitions) == 1 and definitions[0].startswith("bot/chats.py:"), definitions


def test_a_scope_is_a_users_own_private_chat_or_a_groups() -> None:
    assert ChatKind.of_scope(user_id=42, chat_id=42) is ChatKind.PRIVATE
    assert ChatKind.of_scope(user_id=42, chat_id=-1001) is ChatKind.GROUP
    # Not the sign: a group's id is any id that is not the user's own.
    assert ChatKind.of_scope(user_id=42, chat_id=7) is ChatKind.GROUP
    assert ChatKind.GROUP.is_group and not ChatKind.PRIVATE.is_group


def test_stored_kinds_read_back_whatever_the_transport_once_wrote() -> None:
    assert ChatKind.stored("private") is ChatKind.PRIVATE
    assert ChatKind.stored("group") is ChatKind.GROUP
    assert ChatKind.stored("supergroup") is ChatKind.GROUP
