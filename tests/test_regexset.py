"""The one-pass prefilter (imrkb.regexset): it may let through a pattern that does not match, never rule
out one that does. Tables of edge cases (Unicode word boundaries, digits and spaces, case folding,
lookarounds, flags), the personal-data patterns over generated texts with hostile characters, and the
fall-backs (untranslatable patterns, an automaton that gives up)."""

from __future__ import annotations

import random
import re
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imrkb import pii
from imrkb.regexset import RegexSet, Untranslatable, superset
from imrkb.synth import generate, render_letter

# (pattern, text): Python's re finds a match, so the set must let the pattern through
MUST_PASS = [
    (r"\bMr\.\s+[A-Z][a-z]+\b", "seen by Mr. Smith today"),
    (r"\bcafé\b", "the café closed"),  # a non-ASCII literal
    (r"é\b", "é "),  # a Unicode word character makes the boundary (not one to RE2's ASCII \b)
    (r"x\B", "xé"),  # and makes none
    (r"\b\w+\b", "日本"),
    (r"\bé", " é"),
    (r"\d{3}-\d{4}", "٥٥٥-٠١٤٢"),  # Arabic-Indic digits are \d in Python
    (r"a\sb", "a\xa0b"),  # a no-break space is \s in Python
    (r"a\sb", "a\x1cb"),  # and so is the file separator
    (r"a\sb", "a\x0bb"),  # and the vertical tab (not \s in RE2)
    (r"(?i:kelvin)", "\u212aELVIN"),  # the Kelvin sign folds to k
    (r"(?i:ss)", "\u017fs"),  # long s folds to s
    (r"(?i:patient)", "PATİENT"),
    (r"(?<![\w/])\d{3}", "a/ 123"),  # lookbehinds are dropped
    (r"(?<=Dr\. )[A-Z]", "Dr. X"),
    (r"(?!The\b)[A-Z][a-z]+", "Then"),
    (r"[A-Z][a-z]+(?=,?\s*\(patient\))", "Smith (patient)"),  # a trailing lookahead, read as text
    (r"(?:a(?=b)|c)", "ab"),
    (r"a.c", "a\u2028c"),
    (r"(?s:a.c)", "a\nc"),
    (r"(?s)a.c", "a\nc"),
    (r"a[^b]c", "a\nc"),  # a negated class matches a line break
    (r"a[^b]c", "aéc"),
    (r"a[^é]c", "a?c"),
    (r"a[^?]c", "a\u00e9c"),
    (r"a[\W]c", "a\u2028c"),
    (r"a[\D]c", "a\u00e9c"),
    (r"[^\s\d]x", "éx"),
    (r"a[\s\d]b", "a\u3000b"),
    (r"a[’']s", "a’s"),
    (r"[–-]", "–"),
    (r"[\u00e0-\u00ff]", "é"),
    (r"a+?b", "aaab"),
    (r"^x$", "x\n"),
    (r"\Ax\Z", "x"),
    (r"x$", "ax"),
    (r"a\x00b", "a\x00b"),
    (r"(?P<value>\d{2,})", "٣٤"),
    (r"\?", "?"),
    (r"a{2,3}", "aaa"),
    (r"(?i)ABC", "abc"),
    (r"(?-i:A)(?i:b)", "AB"),
]
if sys.version_info >= (3, 11):
    MUST_PASS += [(r"(?>a+)b", "aab"), (r"a++b", "aab")]


@pytest.mark.parametrize(("pattern", "text"), MUST_PASS, ids=[f"{p} {t!r}" for p, t in MUST_PASS])
def test_a_pattern_that_matches_is_never_ruled_out(pattern: str, text: str) -> None:
    compiled = re.compile(pattern)
    assert compiled.search(text)
    assert RegexSet([compiled]).possible(text) == {0}


# (pattern, text): the set rules these out, so it saves work
MUST_RULE_OUT = [
    (r"\bMr\.\s+[A-Z][a-z]+", "the patient reported pain"),
    (r"\d{3}-\d{2}-\d{4}", "Case Number: CM16-0213037, 10/13/2016"),
    (r"(?i:claim)\s*(?:no\.?|number)\s*[:#]?\s*\d+", "the claims administrator's utilization review"),
    (r"[A-Z][a-z]+ [A-Z][a-z]+(?=,?\s*\(patient\))", "Norco 10/325 (patient reports relief)"),
    (r"x\b", "xy"),  # an ASCII text keeps its word boundaries
]


@pytest.mark.parametrize(("pattern", "text"), MUST_RULE_OUT, ids=[f"{p} {t!r}" for p, t in MUST_RULE_OUT])
def test_a_pattern_is_ruled_out_where_it_cannot_match(pattern: str, text: str) -> None:
    compiled = re.compile(pattern)
    assert compiled.search(text) is None
    assert RegexSet([compiled]).possible(text) == frozenset()


def test_a_back_reference_cannot_be_translated_and_is_always_run() -> None:
    with pytest.raises(Untranslatable):
        superset(re.compile(r"(a)\1"), ascii_text=True)
    rs = RegexSet([re.compile(r"(a)\1"), re.compile(r"zzz")])
    assert rs.possible("nothing here") == {0}


def test_when_the_automaton_gives_up_every_pattern_is_run() -> None:
    """A memory budget too small for the set: it fails to compile or to run, and then nothing is ruled out
    (never 'no pattern can match')."""
    patterns = [re.compile(rf"\b[A-Z][a-z]+ (?:{'|'.join(f'w{i}x{j}' for j in range(200))})\d{{3}}") for i in range(8)]
    rs = RegexSet(patterns, max_mem=1 << 12)
    assert rs.possible("plain text with nothing to find " * 200) == frozenset(range(8))


# ----------------------------------------------------------------------------- the personal-data patterns

PATTERNS = [p for k in pii.load_kinds() for p in k.patterns]
PII_SET = RegexSet(PATTERNS)
SNIPPETS = [x for k in pii.load_kinds() for x in (*k.examples, *k.counter_examples)]
ODD = ["é", "’", "\xa0", "\u212a", "\u017f", "İ", "\x00", "٣", "\u2028", "–", "?", "\n", " ", "-", "(", ")"]


def _must_contain_every_match(text: str) -> None:
    allowed = PII_SET.possible(text)
    for i, p in enumerate(PATTERNS):
        if p.search(text):
            assert i in allowed, f"pattern {i} ({p.pattern[:60]}...) matches {text!r} but was ruled out"


def test_every_example_and_counter_example_keeps_its_matching_patterns() -> None:
    for text in SNIPPETS:
        _must_contain_every_match(text)
        _must_contain_every_match(text.upper())
        _must_contain_every_match(f"Summary: {text}\nMore text.")


def _mutate(text: str, rng: random.Random) -> str:
    chars = list(text)
    for _ in range(rng.randint(1, 4)):
        at = rng.randrange(len(chars) + 1)
        what = rng.random()
        if what < 0.4:
            chars.insert(at, rng.choice(ODD))
        elif what < 0.7 and chars:
            i = min(at, len(chars) - 1)
            chars[i] = chars[i].swapcase()
        elif chars:
            chars[min(at, len(chars) - 1)] = rng.choice(ODD)
    return "".join(chars)


def test_mutated_examples_keep_their_matching_patterns() -> None:
    rng = random.Random(20261203)
    for _ in range(3000):
        text = " ".join(rng.sample(SNIPPETS, rng.randint(1, 3)))
        _must_contain_every_match(_mutate(text, rng))


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(SNIPPETS + ODD + ["Mr. ", "Dr. ", "patient ", "Smith", "1234 "]), max_size=8))
def test_generated_texts_keep_their_matching_patterns(parts: list[str]) -> None:
    _must_contain_every_match("".join(parts))


def test_letters_are_scanned_with_the_same_findings_as_without_the_set() -> None:
    """Synthetic letters, with personal-data examples planted in some: the findings with the set equal
    those of running every pattern."""
    rng = random.Random(7)
    kinds = pii.load_kinds()
    ruled_out = 0
    for n, letter in enumerate(generate(60, seed=31)):
        text = render_letter(letter, "txt").data.decode("utf-8")
        if n % 2:
            lines = text.split("\n")
            for _ in range(3):
                lines.insert(rng.randrange(len(lines)), _mutate(rng.choice(SNIPPETS), rng))
            text = "\n".join(lines)
        with_set = list(pii._matches(text, kinds))
        assert with_set == list(pii._matches(text, kinds, prefilter=False))
        ruled_out += len(PATTERNS) - len(PII_SET.possible(text))
    assert ruled_out > 60 * len(PATTERNS) // 2  # and it does rule out most patterns


def test_the_set_is_built_once_for_the_same_patterns_however_they_are_passed() -> None:
    pii.scan_text("warm", kinds=list(pii.load_kinds()))
    before = pii._set_of.cache_info()
    for _ in range(3):
        pii.scan_text("Mr. John Smith", kinds=list(pii.load_kinds()))  # a new list, the same patterns
        pii.scan_text("Mr. John Smith")
    after = pii._set_of.cache_info()
    assert after.misses == before.misses
    assert pii.scan_text("Mr. John Smith", kinds=list(pii.load_kinds())) == pii.scan_text("Mr. John Smith")
