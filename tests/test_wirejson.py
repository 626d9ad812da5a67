"""The wire's JSON: what the standard library read and wrote still reads and writes the same."""

from __future__ import annotations

import json
import math

import pytest

from bot import wirejson


def test_texts_of_any_script_survive_a_round_trip() -> None:
    value = {"text": "晚安 🌙 <b>good night</b>", "chat_id": -1001234567890, "ok": True}
    assert json.loads(wirejson.dumps(value)) == value
    assert wirejson.loads(wirejson.dumps(value)) == value


def test_values_orjson_refuses_are_written_by_the_standard_library() -> None:
    big = 2**70  # an int past 64 bits
    assert json.loads(wirejson.dumps({"n": big})) == {"n": big}


def test_json_only_the_standard_library_reads_still_reads() -> None:
    assert math.isnan(wirejson.loads('{"x": NaN}')["x"])
    assert wirejson.loads('"\\ud800"') == "\ud800"  # a lone surrogate, as some servers send


def test_what_is_no_json_fails_as_before() -> None:
    with pytest.raises(ValueError):
        wirejson.loads("data: {")
