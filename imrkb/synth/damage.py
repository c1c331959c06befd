"""PDF-extraction damage for synthetic letters: named, seeded, optional steps.

Each step mimics something text extracted from the public PDFs shows:

``wrap``              lines broken at about 95 characters, inside citations, items and headings too
``hyphen_breaks``     a hyphenated word broken at its hyphen ("non-" / "certified"); implies ``wrap``
``syllable_hyphens``  a long word split with an added hyphen ("documen-" / "tation"); implies ``wrap``
``page_footers``      a "Page 2 of 3" line closing every page (or heading every page after the first)
``double_spacing``    a blank line after every line, as some extractions give (the seed); implies ``wrap``
``blank_runs``        runs of two to four blank lines instead of one
``space_lines``       blank lines holding a single space
``trailing_spaces``   a space (or two) after the last word of a line

:func:`damage` splits the letter into pages (2 to 4, like the public letters) whatever the steps, so text
and PDF output agree on the page count. A step never changes what a correct parser must read.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Iterable

STEPS = (
    "wrap",
    "hyphen_breaks",
    "syllable_hyphens",
    "page_footers",
    "blank_runs",
    "double_spacing",
    "space_lines",
    "trailing_spaces",
)

#: How often each step is drawn when a letter's steps are chosen at random.
DEFAULT_RATES = {
    "wrap": 0.92,
    "hyphen_breaks": 0.6,
    "syllable_hyphens": 0.3,
    "page_footers": 0.4,
    "double_spacing": 0.1,
    "blank_runs": 0.4,
    "space_lines": 0.6,
    "trailing_spaces": 0.7,
}

#: Steps that only make sense in text: a PDF gets its spacing from extraction itself.
TEXT_ONLY = ("space_lines", "trailing_spaces")

#: Word beginnings after which an added hyphen would read as a real one ("anti-convulsants"): a splitting
#: writer's hyphen is never put there, so the correct reading stays unambiguous.
PREFIXES = frozenset(
    "anti non post pre inter intra multi over under sub super semi self counter extra micro electro neuro "
    "hyper hypo trans well".split()
)

_HYPHENATED = re.compile(r"^([A-Za-z]{2,}(?:-[A-Za-z]+)*)-([a-z][A-Za-z]+[.,;:)]?)$")
_SPLITTABLE = re.compile(r"^[a-z]{9,}[.,;:]?$")

Page = list[str]


def check_steps(steps: Iterable[str]) -> tuple[str, ...]:
    """The steps in canonical order; an unknown name raises ``ValueError`` listing the valid ones."""
    given = tuple(steps)
    for s in given:
        if s not in STEPS:
            raise ValueError(f"unknown damage step {s!r}; valid: {', '.join(STEPS)}")
    return tuple(s for s in STEPS if s in given)


def random_steps(rng: random.Random, rates: dict[str, float] = DEFAULT_RATES) -> tuple[str, ...]:
    """A seeded draw of steps, each with its rate."""
    return tuple(s for s in STEPS if rng.random() < rates.get(s, 0.0))


def _break_word(
    word: str, room: int, rng: random.Random, *, hyphens: bool, syllables: bool
) -> tuple[str, str] | None:
    """Split ``word`` so its head (with a hyphen) fits in ``room`` characters, or ``None``."""
    m = _HYPHENATED.match(word) if hyphens else None
    if m:
        head, tail = m.group(1), m.group(2)
        if len(head) + 1 <= room:
            return head + "-", tail
    if syllables and _SPLITTABLE.match(word) and rng.random() < 0.35:
        letters = len(word.rstrip(".,;:"))
        cut = min(room - 1, letters - 4)
        cuts = [c for c in range(4, cut + 1) if word[:c].lower() not in PREFIXES]
        if cuts:
            c = rng.choice(cuts)
            return word[:c] + "-", word[c:]
    return None


def wrap_line(
    line: str, width: int, rng: random.Random, *, hyphens: bool = False, syllables: bool = False
) -> list[str]:
    """Greedy wrap at spaces; optionally break a word at its hyphen or split it with a new one."""
    if len(line) <= width:
        return [line]
    words = line.split(" ")
    out: list[str] = []
    cur = ""
    i = 0
    while i < len(words):
        w = words[i]
        candidate = w if not cur else f"{cur} {w}"
        if len(candidate) <= width or not cur:
            cur = candidate
            i += 1
            continue
        room = width - len(cur) - 1
        split = _break_word(w, room, rng, hyphens=hyphens, syllables=syllables) if room > 4 else None
        if split:
            out.append(f"{cur} {split[0]}")
            words[i] = split[1]
            cur = ""
            continue
        out.append(cur)
        cur = ""
    if cur:
        out.append(cur)
    return out


def paginate(
    lines: list[str], rng: random.Random, *, min_pages: int = 2, max_pages: int = 4, per_page: int = 50
) -> list[Page]:
    """Split into 2-4 pages of roughly equal length."""
    n = max(1, len(lines))
    pages = max(min_pages, min(max_pages, math.ceil(n / per_page)))
    size = math.ceil(n / pages)
    out = [lines[k * size : (k + 1) * size] for k in range(pages)]
    return [p if p else [""] for p in out]


def damage(lines: list[str], steps: Iterable[str], rng: random.Random) -> list[Page]:
    """Apply the named steps to a letter's logical lines; returns its pages of physical lines."""
    chosen = set(check_steps(steps))
    width = rng.randint(88, 97)
    hyph, syll = "hyphen_breaks" in chosen, "syllable_hyphens" in chosen
    out: list[str] = []
    for line in lines:
        if chosen & {"wrap", "hyphen_breaks", "syllable_hyphens", "double_spacing"}:
            out.extend(wrap_line(line, width, rng, hyphens=hyph, syllables=syll))
        else:
            out.append(line)
    pages = paginate(out, rng)
    if "page_footers" in chosen:
        total = len(pages)
        style = rng.randrange(4)
        for k, page in enumerate(pages, 1):
            if style == 3:  # a header on every page after the first
                if k > 1:
                    page.insert(0, f"Page {k} of {total}")
            else:
                page.append(f"Page {k} of {total}" if style < 2 else f"Page {k}")
    if "blank_runs" in chosen:
        pages = [_blank_runs(p, rng) for p in pages]
    if "double_spacing" in chosen:  # after blank_runs: only paragraph breaks grow into longer runs
        pages = [[x for line in p for x in (line, "")] for p in pages]
    if "space_lines" in chosen:
        pages = [[" " if not line.strip() else line for line in p] for p in pages]
    if "trailing_spaces" in chosen:
        pages = [
            [line + (" " if rng.random() < 0.85 else "  ") if line.strip() else line for line in p]
            for p in pages
        ]
    return pages


def _blank_runs(page: Page, rng: random.Random) -> Page:
    out: Page = []
    for line in page:
        out.append(line)
        if not line.strip() and rng.random() < 0.5:
            out.extend([line] * rng.randint(1, 3))
    return out


def pages_text(pages: list[Page]) -> str:
    """The pages as one text, as ``pypdf`` joins them."""
    return "\n".join("\n".join(p) for p in pages) + "\n"
