"""Fuzzing: the parser, the citation extractor and the record loader never raise anything but their
documented errors, on random text, mutated real-shaped letters and mutated PDFs.

Counts are deterministic (hypothesis is derandomised and the mutations seeded) so CI is stable;
``bench/fuzz.py`` runs the same harness for longer and reports how many inputs were tried.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imrkb.citations import extract_citations
from imrkb.errors import LetterError
from imrkb.models import Decision
from imrkb.mutate import mutate, mutate_bytes
from imrkb.parse import parse_bytes, parse_text
from imrkb.synth.corpus import render_letter
from imrkb.synth.generate import generate
from imrkb.validate import check_text

SEED = (Path(__file__).parent / "letters" / "seed-2015.txt").read_text()
FUZZ = settings(max_examples=300, derandomize=True, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])
#: Pieces letters are made of, so random strings hit the parser's real paths.
PIECES = [*"abcXYZ019 :.,()/-\n\f\t", "Upheld", "Overturned", "Decision based on ", "MTUS ",
          "Non-MTUS Citation ", "ODG ", "Section(s): ", "Page(s): ", "Case Number: CM16-0000001",
          "IMR ISSUES, DECISIONS AND RATIONALES\n", "Claims Administrator guideline: ", "MAXIMUS guideline: ",
          "Decision rationale: ", "\n\n", "Low Back Complaints 2004", "Chronic Pain Medical Treatment 2016",
          "1) ", "is not medically necessary.", "MEDICAL PROFESSIONAL REVIEW\n", "ISSUE AT DISPUTE:\n"]
LETTERISH = st.lists(st.sampled_from(PIECES), max_size=80).map("".join)


def _letters(n: int) -> list[str]:
    out = [SEED]
    for letter in generate(n, seed=99):
        out.append(render_letter(letter, "txt").data.decode("utf-8"))
    return out


BASES = _letters(20)


@FUZZ
@given(st.text(max_size=3000))
def test_parse_text_on_random_unicode_raises_only_letter_error(text: str) -> None:
    try:
        assert isinstance(parse_text(text, "fuzz.txt"), Decision)
    except LetterError as e:
        assert e.path == "fuzz.txt" and e.problem


@FUZZ
@given(LETTERISH)
def test_parse_text_on_letter_shaped_noise_raises_only_letter_error(text: str) -> None:
    try:
        parse_text(text, "fuzz.txt")
    except LetterError:
        pass


@FUZZ
@given(LETTERISH)
def test_extract_citations_never_raises(text: str) -> None:
    for c in extract_citations(text):
        assert c.guideline and all(a <= b for a, b in c.pages)


@FUZZ
@given(st.binary(max_size=4000))
def test_parse_bytes_on_random_bytes_raises_only_letter_error(data: bytes) -> None:
    try:
        parse_bytes(data, "fuzz.bin")
    except LetterError:
        pass


@pytest.mark.parametrize("base", range(len(BASES)))
def test_mutated_letters_parse_or_fail_cleanly(base: int) -> None:
    rng = random.Random(base)
    for _ in range(60):
        text = mutate(BASES[base], rng)
        try:
            d = parse_text(text, "mutant.txt")
        except LetterError:
            continue
        assert d.issues and all(i.outcome in ("upheld", "overturned") for i in d.issues)


def test_mutated_pdfs_parse_or_fail_cleanly() -> None:
    rng = random.Random(7)
    pdfs = [render_letter(letter, "pdf").data for letter in generate(4, seed=5)]
    for k in range(120):
        try:
            parse_bytes(mutate_bytes(pdfs[k % len(pdfs)], rng), "mutant.pdf")
        except LetterError:
            pass


@FUZZ
@given(st.text(max_size=2000))
def test_record_loader_reports_problems_never_raises(text: str) -> None:
    checked = check_text(text, "decisions/2016/X.yaml")
    assert all(p.line >= 1 for p in checked.problems)


def test_record_loader_on_mutated_records() -> None:
    from imrkb.records import to_yaml

    rng = random.Random(3)
    yamls = [to_yaml(letter.decision) for letter in generate(10, seed=8)]
    for k in range(300):
        checked = check_text(mutate(yamls[k % len(yamls)], rng), "decisions/2016/X.yaml")
        assert all(str(p).startswith("decisions/2016/X.yaml:") for p in checked.problems)
