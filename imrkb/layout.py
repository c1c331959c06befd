"""Recognise a letter's layout and split it into its sections.

Layouts (see ``domain.md``):

- ``mpr-2013``: "MEDICAL PROFESSIONAL REVIEW", headings like ``ISSUE AT DISPUTE:`` (may wrap);
- ``notice-2013``: "Notice of Independent Medical Review Determination", numbered determinations;
- ``maximus-2014``: "MAXIMUS FEDERAL SERVICES, INC. / Independent Medical Review", ``IMR DECISION(S) AND
  RATIONALE(S)``;
- ``case-number-2015``: "Case Number:" letters whose reviewer sentence says "Board Certified in ...";
- ``case-number-2016``: "Case Number:" letters with a ``State(s) of Licensure:`` credentials block.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


def _heading(words: str) -> re.Pattern[str]:
    """A heading regex whose words may be split by any whitespace, line breaks included."""
    return re.compile(r"\s+".join(re.escape(w) for w in words.split()), re.I)


#: Heading text per section, per layout family (data: extend here for a new layout).
HEADINGS: dict[str, dict[str, tuple[str, ...]]] = {
    "case-number": {
        "reviewer": ("HOW THE IMR FINAL DETERMINATION WAS MADE",),
        "summary": ("CLINICAL CASE SUMMARY",),
        "issues": ("IMR ISSUES, DECISIONS AND RATIONALES", "IMR DECISION(S) AND RATIONALE(S)"),
    },
    "maximus-2014": {
        "reviewer": ("HOW THE IMR FINAL DETERMINATION WAS MADE",),
        "documents": ("DOCUMENTS REVIEWED",),
        "summary": ("CLINICAL CASE SUMMARY",),
        "issues": ("IMR DECISION(S) AND RATIONALE(S)", "IMR ISSUES, DECISIONS AND RATIONALES"),
    },
    "notice-2013": {
        "determinations": ("has determined",),
        "decision": ("INDEPENDENT MEDICAL REVIEW DECISION AND RATIONALE",),
        "reviewer": ("Medical Qualifications of the Expert Reviewer:",),
        "summary": ("Case Summary:",),
        "items": ("1) Regarding the request for",),
    },
    "mpr-2013": {
        "issues_list": ("ISSUE AT DISPUTE:", "ISSUE(S) AT DISPUTE:"),
        "summary": ("CASE SUMMARY:",),
        "documents": ("DOCUMENTS REVIEWED FOR DETERMINATION:",),
        "guidelines": ("MEDICAL TREATMENT GUIDELINE(S) RELIED UPON BY PROFESSIONAL REVIEWER AND WHY:",),
        "rationale": (
            "RATIONALE FOR WHY THE REQUESTED TREATMENT/SERVICE IS/WAS NOT MEDICALLY NECESSARY:",
            "RATIONALE FOR WHY THE REQUESTED TREATMENT/SERVICE IS/WAS MEDICALLY NECESSARY:",
        ),
        "reviewer": ("MEDICAL REVIEWER QUALIFICATIONS:",),
    },
}

_MARKERS = (
    ("mpr-2013", _heading("MEDICAL PROFESSIONAL REVIEW")),
    ("mpr-2013", _heading("ISSUE AT DISPUTE:")),
    ("notice-2013", _heading("Notice of Independent Medical Review Determination")),
    ("maximus-2014", _heading("IMR DECISION(S) AND RATIONALE(S)")),
)
_CREDENTIALS_BLOCK = re.compile(r"State\s*\(s\)\s+of\s+Licensure", re.I)
SYNTHETIC_MARK = "SYNTHETIC LETTER - NOT A REAL DECISION"


@dataclass(frozen=True)
class Sections:
    """A letter split into its parts; ``parts`` maps section names to their text."""

    layout: str
    header: str
    parts: dict[str, str]
    synthetic: bool

    def get(self, name: str) -> str:
        return self.parts.get(name, "")


def detect_layout(text: str) -> str | None:
    """The layout name, or ``None`` when the text is not an IMR determination letter."""
    for name, pat in _MARKERS:
        if pat.search(text):
            return name
    if _heading("IMR ISSUES, DECISIONS AND RATIONALES").search(text) or _heading(
        "HOW THE IMR FINAL DETERMINATION WAS MADE"
    ).search(text):
        return "case-number-2016" if _CREDENTIALS_BLOCK.search(text) else "case-number-2015"
    return None


def split_sections(text: str, layout: str) -> Sections:
    """Cut ``text`` at the headings of ``layout``; text before the first heading is the header."""
    family = "case-number" if layout.startswith("case-number") else layout
    found: list[tuple[int, int, str]] = []
    for name, headings in HEADINGS[family].items():
        for h in headings:
            m = _heading(h).search(text)
            if m:
                found.append((m.start(), m.end(), name))
                break
    found.sort()
    parts: dict[str, str] = {}
    for k, (_, end, name) in enumerate(found):
        stop = found[k + 1][0] if k + 1 < len(found) else len(text)
        parts[name] = text[end:stop].strip("\n")
    header = text[: found[0][0]] if found else text
    return Sections(layout, header, parts, SYNTHETIC_MARK.lower() in text[:400].lower())
