"""Undo PDF-extraction damage in letter text: a registry of named cleaning steps.

``clean_text(text)`` runs the default steps in order; ``clean_text(text, ["blank_runs", my_step])`` runs the
named or given steps. A new extraction quirk becomes a new step here, not an ``if`` in the parser.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterable

Step = Callable[[str], str]

#: Left fragments after which a line-final hyphen before a word is a real one ("non-\ncertified", "x-\nray").
KEEP_HYPHEN_AFTER = frozenset(
    """non anti post pre co multi semi self x ex evidence
    one two three four five six seven eight nine ten first second third
    well home over follow long short full part sprain low high ill year week day month left right cross
    light medium heavy t l c s open closed""".split()
)

_FOOTER_LINE = r"[ \t]*(?:Page\s+\d+\s*(?:of\s*\d+)?|-\s*\d+\s*-|\d+\s*/\s*\d+|\[\s*Page\s+\d+\s*\])[ \t]*"
#: A page break (form feed or footer line) with the blank lines around it. The leading lookahead (a
#: character a break can start with) changes no match; it lets the engine skip other positions fast.
_BREAK = re.compile(
    r"(?=[ \t\n\f\-\d\[p])[ \t]*(?:\n[ \t]*)*(?:(?:\f|(?<![^\n\f])" + _FOOTER_LINE + r"(?=[ \t]*(?:\n|\f|$)))"
    r"[ \t]*(?:\n[ \t]*)*)+",
    re.I,
)
_LIGATURES = {"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl"}


def _rejoin(m: re.Match[str]) -> str:
    """A page break inside a sentence becomes a line break; between paragraphs, a paragraph break."""
    before = m.string[: m.start()].rstrip()[-1:]
    after = m.string[m.end() :].lstrip()[:1]
    if not before or not after:
        return "\n"
    return "\n" if before not in ".:!?" or after.islower() else "\n\n"


def page_breaks(text: str) -> str:
    """Remove page breaks (form feeds, "Page 2 of 3" footers) without splitting the sentence they cut."""
    return _BREAK.sub(_rejoin, text)


@functools.lru_cache(maxsize=1)
def _control_class() -> re.Pattern[str]:
    """Every character of Unicode category C (controls, format, private use, unassigned) but \\n \\t \\f
    as one character class (one regex pass instead of a category look-up per character): the Basic
    Multilingual Plane by category, then the astral tag and private-use planes."""
    ranges: list[tuple[int, int]] = []
    for cp in range(0x10000):
        if unicodedata.category(chr(cp))[0] == "C" and chr(cp) not in "\n\t\f":
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1] = (ranges[-1][0], cp)
            else:
                ranges.append((cp, cp))
    ranges += [(0xE0000, 0xE007F), (0xF0000, 0x10FFFF)]
    return re.compile("[" + "".join(re.escape(chr(a)) + ("-" + re.escape(chr(b)) if b > a else "")
                                    for a, b in ranges) + "]")


def characters(text: str) -> str:
    """Normalise line ends and odd characters: CRLF, NUL/control bytes (form feeds kept), NBSP, ligatures."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\ufffe", "-\n")  # PDFium's mark for a hyphen that ended a line
    for k, v in _LIGATURES.items():
        text = text.replace(k, v)
    text = text.replace("\u00a0", " ").replace("\u00ad", "").replace("\u2010", "-").replace("\u2011", "-")
    return _control_class().sub("", text)


def trailing_spaces(text: str) -> str:
    """Strip spaces at line ends (and lines holding only spaces)."""
    return "\n".join(line.rstrip(" \t") for line in text.split("\n"))


def double_spacing(text: str) -> str:
    """Undo double-spaced extraction (a blank line after every line): single blank lines go, longer runs
    become one paragraph break. Only applied when most lines are followed by exactly one blank line."""
    lines = text.split("\n")
    content = [i for i, line in enumerate(lines) if line.strip()]
    if len(content) < 6:
        return text
    single = sum(
        1 for i in content if i + 2 < len(lines) and not lines[i + 1].strip() and lines[i + 2].strip()
    )
    lengths = sorted(len(lines[i].strip()) for i in content)
    wrapped = lengths[len(lengths) // 2] <= 110  # unwrapped one-line paragraphs are not double spacing
    if single < 0.6 * len(content) or not wrapped or not re.search(r"\n[ \t]*\n[ \t]*\n", text):
        return text
    text = re.sub(r"\n[ \t]*\n(?:[ \t]*\n){2,}", "\n\x00", "\n".join(line.rstrip(" \t") for line in lines))
    text = re.sub(r"\n[ \t]*\n", "\n", text)
    return text.replace("\x00", "\n")


def blank_runs(text: str) -> str:
    """Collapse runs of blank lines into one blank line."""
    return re.sub(r"\n{3,}", "\n\n", text.strip("\n") + "\n")


@functools.lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """A general English word list (web2 + GCIDE, lower case), loaded once, only when needed."""
    from english_words import get_english_words_set

    return frozenset(get_english_words_set(["web2", "gcide"], lower=True, alpha=True))


def keep_hyphen(left: str, right: str, letter_words: set[str]) -> bool:
    """Whether a hyphen that ended a line (``left-`` / ``right``) is a real one.

    The letter's own words decide first (the hyphenated form or the joined word used elsewhere in it),
    then both halves being words the letter uses, then a known prefix before a word ("non-certified",
    "x-ray", "post-operative", but "pre-vious" joins), then an English word list: a joined word that is
    English drops the hyphen ("medi-cally"), two English words keep it ("chemotherapy-related");
    anything else is taken for a syllable break.
    """
    head = left.split("-")[-1].lower()
    lo, ro = left.lower(), right.lower()
    if f"{lo}-{ro}" in letter_words:
        return True
    if f"{lo}{ro}" in letter_words:
        return False
    if "-" in left or (lo in letter_words and ro in letter_words):
        return True
    dictionary = english_words()
    if head in KEEP_HYPHEN_AFTER and (ro in dictionary or ro in letter_words):
        return True
    if f"{head}{ro}" in dictionary:
        return False
    return head in dictionary and ro in dictionary


def hyphenation(text: str) -> str:
    """Join words hyphenated across lines: "medi-\\ncally" -> "medically", "non-\\ncertified" kept."""
    # the lookbehind changes no match (the leftmost one starts at a run's first letter, never after a
    # letter) but spares the engine from re-reading every word from each of its letters
    broken = re.compile(r"(?<![A-Za-z])([A-Za-z][A-Za-z-]*)-[ \t]*\n[ \t]*(\S+)")
    # the letter's vocabulary, leaving out the fragments of the words broken across lines
    words = set(re.findall(r"[A-Za-z][A-Za-z-]*", broken.sub(" ", text).lower()))

    def join(m: re.Match[str]) -> str:
        left, right = m.group(1), m.group(2)
        first = re.match(r"[A-Za-z]+", right)
        keep = not right[:1].islower() or not first or keep_hyphen(left, first.group(0), words)
        return f"{left}-{right}" if keep else f"{left}{right}"

    return broken.sub(join, text)


STEPS: dict[str, Step] = {
    "characters": characters,
    "trailing_spaces": trailing_spaces,
    "page_breaks": page_breaks,
    "double_spacing": double_spacing,
    "blank_runs": blank_runs,
    "hyphenation": hyphenation,
}
DEFAULT_STEPS = (
    "characters",
    "trailing_spaces",
    "double_spacing",
    "page_breaks",
    "blank_runs",
    "hyphenation",
)


def clean_text(text: str, steps: Iterable[str | Step] = DEFAULT_STEPS) -> str:
    """Run cleaning steps (names from :data:`STEPS` or callables) over ``text``."""
    for step in steps:
        if isinstance(step, str):
            if step not in STEPS:
                raise ValueError(f"unknown cleaning step {step!r}; valid: {', '.join(STEPS)}")
            step = STEPS[step]
        text = step(text)
    return text
