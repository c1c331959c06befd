"""The fast analysis of a text field gives exactly what Whoosh's ``field.index`` gives: terms, their
order, frequencies, weights and encoded positions, over a synthetic corpus's texts and edge cases."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_search_segments import documents
from whoosh import fields
from whoosh.analysis import StandardAnalyzer, StemmingAnalyzer

from imrkb.search.evaluate import write_synthetic_corpus
from imrkb.search.fastterms import terms_function
from imrkb.search.schema import build_schema

EDGES = [
    "",
    "   ",
    "the and of",  # stop words only
    "The MRI of the lumbar spine: an MRI, an MRI.",  # stop words before the first kept word
    "a b c x-ray e.g. i.e. 2.5mg 10/325 #60 Norco® Ibuprofen's",
    "Ärztliche Überprüfung naïve café CAFÉ résumé ǅ İstanbul ß STRASSE",  # lower() that changes length
    "running runs ran runner RUNNING Running",  # one stem, several words
    "x" * 300 + " short",  # a long word
    "1.2.3.4 v1.0 U.S. 3. .5 ..",
    "tab\tnew\nline\r\nwords\u00a0nbsp\u2009thin",
    "🙂 emoji between words 🙂 words",
    "is it is it was the case",
]


def _fields() -> dict[str, fields.FieldType]:
    schema = build_schema()
    return {name: schema[name] for name in schema.names() if terms_function(schema[name]) is not None}


def test_the_text_fields_of_the_schema_are_covered() -> None:
    covered = _fields()
    assert {"item", "rationale", "summary", "citations"} <= set(covered)
    schema = build_schema()
    assert terms_function(schema["outcome"]) is None  # an ID field keeps Whoosh's own
    assert terms_function(fields.TEXT(analyzer=StandardAnalyzer())) is None
    assert terms_function(fields.TEXT(analyzer=StemmingAnalyzer(gaps=True))) is None


@pytest.mark.parametrize("text", EDGES)
def test_edge_texts(text: str) -> None:
    for name, field in _fields().items():
        assert terms_function(field)(text) == list(field.index(text)), name


def test_a_corpus_of_texts(tmp_path: Path) -> None:
    write_synthetic_corpus(tmp_path / "corpus", 80, seed=5)
    docs = documents(tmp_path / "corpus")
    covered = _fields()
    n = 0
    for name, field in covered.items():
        fast = terms_function(field)
        for d in docs:
            value = d.get(name)
            if isinstance(value, str):
                assert fast(value) == list(field.index(value)), (name, value[:80])
                assert fast(value) == list(field.index(value))  # the word cache gives the same again
                n += 1
    assert n > 300
