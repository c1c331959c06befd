"""The golden corpus: every fixture letter in tests/letters/ parses to the record beside it.

The seed is real; the others are synthetic letters, one per layout, frozen here so a change to the
generator cannot hide a change to the parser. `scripts/parser-diff` shows what a parser change alters.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from imrkb.parse import parse_file
from imrkb.records import load_yaml_text, to_dict

LETTERS = sorted((Path(__file__).parent / "letters").glob("*.txt"))


def test_every_layout_has_a_golden_letter() -> None:
    layouts = {load_yaml_text(p.with_name(p.stem + ".expected.yaml").read_text())["layout"] for p in LETTERS}
    assert layouts == {"mpr-2013", "notice-2013", "maximus-2014", "case-number-2015", "case-number-2016"}


@pytest.mark.parametrize("letter", LETTERS, ids=[p.stem for p in LETTERS])
def test_golden_letter(letter: Path) -> None:
    want = load_yaml_text(letter.with_name(letter.stem + ".expected.yaml").read_text())
    got = to_dict(parse_file(letter))
    diffs = [k for k in want if got.get(k) != want[k]]
    assert not diffs, f"{letter.name}: fields differ: {diffs}"
    assert got.get("synthetic") == letter.name.startswith("synthetic-")
