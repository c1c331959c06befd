"""The search query language: tables of queries and what they mean, or the one-line error they give.

The vocabulary is the real guideline catalog (``guidelines/*.yaml``) plus labels as an index would hold
them.
"""

from __future__ import annotations

import pytest

from imrkb.catalog import load_catalog
from imrkb.errors import UsageError
from imrkb.search.query import Vocabulary, parse, tokenize

LABELS = {
    "specialty": {
        "family-practice": "Family Practice",
        "orthopedic-surgery": "Orthopedic Surgery",
        "pain-management": "Pain Management",
        "physical-medicine-and-rehabilitation": "Physical Medicine and Rehabilitation",
    },
    "category": {
        "pharmaceuticals": "Pharmaceuticals",
        "opioids": "Opioids",
        "diagnostic-testing": "Diagnostic Testing",
    },
    "state": {"california": "California", "texas": "Texas"},
}


@pytest.fixture(scope="module")
def vocab() -> Vocabulary:
    return Vocabulary.build(load_catalog(), LABELS)


# (query, expected words, expected phrases, expected excluded, expected (field, value) clauses)
PARSES = [
    ("MRI lumbar", ["MRI", "lumbar"], [], [], []),
    ('"without contrast" MRI', ["MRI"], ["without contrast"], [], []),
    ("acupuncture -lumbar", ["acupuncture"], [], ["lumbar"], []),
    ("outcome:overturned", [], [], [], [("outcome", "overturned")]),
    ("outcome:Overturn", [], [], [], [("outcome", "overturned")]),
    ("year:2016", [], [], [], [("year", "2016")]),
    ("year:2015..2017", [], [], [], [("year", "2015..2017")]),
    ("year:2015..", [], [], [], [("year", "2015..")]),
    ("year:..2014", [], [], [], [("year", "..2014")]),
    ("guideline:mtus-acoem", [], [], [], [("guideline", "mtus-acoem")]),
    ("guideline:mtus-acoem:8", [], [], [], [("guideline", "mtus-acoem:8")]),
    ("guideline:MTUS-ACOEM:8:178", [], [], [], [("guideline", "mtus-acoem:8:178")]),
    ("guideline:mtus-acoem:178", [], [], [], [("guideline", "mtus-acoem:178")]),
    (
        'guideline:mtus-cpmtg:"Opioids, criteria for use"',
        [],
        [],
        [],
        [("guideline", 'mtus-cpmtg:"Opioids, criteria for use"')],
    ),
    ("guideline:mtus-cpmtg:78", [], [], [], [("guideline", "mtus-cpmtg:78")]),
    ("guideline:odg:low-back:MRI", [], [], [], [("guideline", 'odg:low-back:"MRI"')]),
    ('guideline:odg:"Low Back":MRI', [], [], [], [("guideline", 'odg:low-back:"MRI"')]),
    ("guideline:odg:low-back", [], [], [], [("guideline", "odg:low-back")]),
    ("g:odg", [], [], [], [("guideline", "odg")]),
    ("specialty:family", [], [], [], [("specialty", "family")]),
    ('specialty:"Family Practice"', [], [], [], [("specialty", "Family Practice")]),
    ("category:opioids state:texas", [], [], [], [("category", "Opioids"), ("state", "Texas")]),
    ("id:CM16-0213037", [], [], [], [("decision", "CM16-0213037")]),
    (
        "Norco outcome:upheld guideline:mtus-cpmtg year:2016",
        ["Norco"],
        [],
        [],
        [("outcome", "upheld"), ("guideline", "mtus-cpmtg"), ("year", "2016")],
    ),
    ("Section(s): physical", ["Section(s):", "physical"], [], [], []),
]


@pytest.mark.parametrize(("text", "words", "phrases", "excluded", "clauses"), PARSES)
def test_query_parses(
    vocab: Vocabulary,
    text: str,
    words: list[str],
    phrases: list[str],
    excluded: list[str],
    clauses: list[tuple[str, str]],
) -> None:
    q = parse(text, vocab)
    assert list(q.words) == words
    assert list(q.phrases) == phrases
    assert list(q.excluded) == excluded
    assert [(c.field, c.value) for c in q.clauses] == clauses


# (query, a piece of the one-line error)
ERRORS = [
    ('"lumbar MRI', "unbalanced quote at column 1"),
    ('MRI "lumbar', "unbalanced quote at column 5"),
    ('guideline:mtus-cpmtg:"Opioids', "unbalanced quote"),
    ("foo:bar", "unknown field 'foo'"),
    ("Outcome:maybe", "'maybe' is not one of upheld, overturned"),
    ("guideline:mtus-acoen:8", "unknown guideline id 'mtus-acoen'"),
    ("guideline:mtus-acoem:99:178", "mtus-acoem has no chapter '99'"),
    ("guideline:odg:lowback:MRI", "odg has no chapter 'lowback'"),
    ("guideline:mtus-cpmtg:1:2", "mtus-cpmtg has no chapters"),
    ("guideline:mtus-acoem::178", "is not <id>[:<chapter>][:<page or topic>]"),
    ("year:16", "'16' is not a year or range"),
    ("year:2017..2015", "runs backwards"),
    ("year:..", "is not a year or range"),
    ("specialty:dentistry", "no specialty matches 'dentistry'; known: Family Practice"),
    ("", "query: empty"),
    ("   ", "query: empty"),
    ("the of and", "only common words"),
    ("-lumbar", "only exclusions"),
    ('MRI"lumbar"', "a quote inside"),
    ('"lumbar"MRI', "text after a closing quote"),
]


@pytest.mark.parametrize(("text", "message"), ERRORS)
def test_bad_queries_give_one_clear_line(vocab: Vocabulary, text: str, message: str) -> None:
    with pytest.raises(UsageError) as e:
        parse(text, vocab)
    assert message in str(e.value)
    assert "\n" not in str(e.value)


def test_options_add_the_same_filters_as_the_query(vocab: Vocabulary) -> None:
    a = parse("Norco outcome:overturned guideline:mtus-cpmtg year:2015..2016", vocab)
    b = parse(
        "Norco",
        vocab,
        {"outcome": "overturned", "guideline": "mtus-cpmtg", "year": "2015..2016", "state": None},
    )
    assert [(c.field, c.value) for c in a.clauses] == [(c.field, c.value) for c in b.clauses]
    assert repr(a.filter_query()) == repr(b.filter_query())


def test_an_option_alone_is_a_valid_query(vocab: Vocabulary) -> None:
    assert parse("", vocab, {"outcome": "upheld"}).clauses[0].value == "upheld"


def test_tokenize_keeps_quoted_spaces_inside_a_field_value() -> None:
    assert tokenize('a guideline:mtus-cpmtg:"Opioids, criteria for use" b') == [
        "a",
        'guideline:mtus-cpmtg:"Opioids, criteria for use"',
        "b",
    ]
