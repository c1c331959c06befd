"""Cleaning steps: a table of PDF-extraction damage and what the step makes of it."""

from __future__ import annotations

import pytest

from imrkb.clean import STEPS, clean_text

ROWS = [
    ("characters", "a\r\nb\x00c\u00a0d \ufb01le", "a\nbc d file"),
    ("trailing_spaces", "line one   \nline two \t\n", "line one\nline two\n"),
    ("blank_runs", "a\n\n\n\n\nb\n", "a\n\nb\n"),
    ("page_breaks", "is not medically\n\nPage 2 of 3\n\nnecessary.", "is not medically\nnecessary."),
    ("page_breaks", "necessary.\n\nPage 2 of 3\n\nNext item: Upheld", "necessary.\n\nNext item: Upheld"),
    ("page_breaks", "cut in the\f\nmiddle", "cut in the\nmiddle"),
    ("page_breaks", "end of page.\fStart of page", "end of page.\n\nStart of page"),
    ("hyphenation", "is medi-\ncally necessary", "is medically necessary"),
    ("hyphenation", "was non-\ncertified", "was non-certified"),
    ("hyphenation", "an x-\nray of the hip", "an x-ray of the hip"),
    ("hyphenation", "Guide-\nlines and guidelines", "Guidelines and guidelines"),
    ("hyphenation", "a sprain-\nstrain, and a sprain-strain", "a sprain-strain, and a sprain-strain"),
    ("hyphenation", "MTUS/ACOEM-\nGuidelines", "MTUS/ACOEM-Guidelines"),
    ("hyphenation", "or chemotherapy-\nrelated nausea", "or chemotherapy-related nausea"),
    ("hyphenation", "the pre-\nvious visit", "the previous visit"),
    ("hyphenation", "reported inter-\nmittent pain", "reported intermittent pain"),
    ("hyphenation", "no post-\noperative need", "no post-operative need"),
    ("hyphenation", "is there-\nfore denied", "is therefore denied"),
    ("hyphenation", "a return-to-\nwork goal", "a return-to-work goal"),
    ("page_breaks", "authorized by the\nPage 2 of 3\nClaims Administrator.", "authorized by the\nClaims Administrator."),
]


@pytest.mark.parametrize(("step", "text", "expected"), ROWS, ids=[f"{r[0]}:{r[1][:20]!r}" for r in ROWS])
def test_step(step: str, text: str, expected: str) -> None:
    assert STEPS[step](text) == expected


def test_double_spacing_is_undone_only_when_the_whole_text_is_double_spaced() -> None:
    double = "".join(f"line {i} \n\n" for i in range(10)) + " \n\n \n\nnext paragraph\n\nends here\n"
    out = STEPS["double_spacing"](double)
    assert "line 0\nline 1\n" in out and "line 9\n\nnext paragraph\nends here" in out
    normal = "a\nb\n\nc\nd\ne\nf\n\ng\nh\n"
    assert STEPS["double_spacing"](normal) == normal


def test_clean_text_rejects_unknown_steps_naming_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="unknown cleaning step 'nope'; valid: characters"):
        clean_text("x", ["nope"])


def test_clean_text_accepts_callables() -> None:
    assert clean_text("abc", [str.upper, "trailing_spaces"]) == "ABC"
