"""The event emitter against ``yaml.dump``: the same text for every kind of string a record may hold, the
data it says the text reads back as, and ``None`` where it cannot vouch for either."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import yaml

from imrkb.records import _Dumper, to_yaml_loaded
from imrkb.validate import parse_yaml
from imrkb.yamlemit import emit

OPTIONS: dict[str, Any] = {"allow_unicode": True, "width": 100}

STRINGS = [
    "", " ", "a ", " a", "a\nb", "a\n", "\n", "a\n\nb\n", "yes", "No", "null", "~", "12", "0x1F", "1.5",
    "2015-01-02", "- a", ": a", "a: b", "#x", "a #b", "'q'", '"dq"', "é ü 中文 — “quoted”", "a  b  " * 40,
    "x" * 300, "word " * 60, "@at", "`b", "%p", "!t", "&a", "*a", "|", ">", "?", "[a]", "{a}", ",", "=",
    "<<", ".inf", "-", "--- a", "...", "1_000", "0o7", "+1", "1:20", "true", "ON", "n", "y",
    "Page(s): 177-179", "Dr. O'Neil's note: 3/4", "tab\there", "\u2028", "\x85", "\ufeff", "a\r\nb", "\x00",
    "\xa0nbsp",
]
TAME = {s for s in STRINGS if s.replace("\n", " ").isprintable()}


def dumped(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, **OPTIONS)


@pytest.mark.parametrize("s", STRINGS)
def test_strings_come_out_as_yaml_dump_writes_them_and_read_back_as_said(s: str) -> None:
    data = {"k": s, "list": [s, {"m": s}], "empty": [], "none": {}}
    got = emit(data, _Dumper, **OPTIONS)
    assert got is not None
    text, loaded = got
    assert text == dumped(data)
    if s in TAME:
        assert loaded == parse_yaml(text)[0] == data
    else:
        assert loaded is None  # the caller reads the text back


def test_other_scalars_and_dates_read_back_as_the_record_check_sees_them() -> None:
    data = {"d": dt.date(2015, 1, 2), "i": 3, "neg": -7, "b": True, "f": False, "n": None}
    text, loaded = to_yaml_loaded(data)
    assert text == dumped(data)
    assert loaded == parse_yaml(text)[0] == {**data, "d": "2015-01-02"}


@pytest.mark.parametrize(
    "data",
    [
        {"a": (shared := dt.date(2015, 1, 2)), "b": shared},  # PyYAML writes an anchor and an alias
        {"a": (same := ["x"]), "b": same},
        {"x": 1.5},
        {"t": ("a", "b")},
        {1: "int key"},
        {"dt": dt.datetime(2015, 1, 2, 3, 4)},
    ],
    ids=["shared date", "shared list", "float", "tuple", "int key", "datetime"],
)
def test_data_it_cannot_vouch_for_falls_back_to_yaml_dump(data: dict[Any, Any]) -> None:
    assert emit(data, _Dumper, **OPTIONS) is None
    text, loaded = to_yaml_loaded(data)
    assert (text, loaded) == (dumped(data), None)
