"""Case facts from a letter's sections: case number, dates, priority, reviewer credentials, patient.

Pure functions over text; each returns ``None``/empty when the letter does not state the fact.
"""

from __future__ import annotations

import datetime as dt
import re

from .models import Dates, Patient, Reviewer

CASE_NUMBER = re.compile(r"\b((?:CM|SYN)\d{2}-\d{7})\b")
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")
_DATE = (
    r"(\d{1,2}/\d{1,2}/(?:\d{4}|\d{2})(?![\d/])|\d{1,2}-\d{1,2}-(?:\d{4}|\d{2})(?![\d-])"
    r"|(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2},?\s+\d{4})"
)
#: Header labels per date field (any whitespace, line breaks included, between words).
DATE_LABELS: dict[str, tuple[str, ...]] = {
    "decision": ("Decision Date", "Dated"),
    "assigned": (
        "Date Assigned",
        "Notice of Assignment and Request for Information dated",
        "Date of Assignment",
    ),
    "injury": ("Date of Injury",),
    "ur_denial": ("UR Denial Date", "utilization review denial dated", "Date of UR Decision"),
    "application_received": (
        "Application Received",
        "Application for Independent Medical Review received",
        "Application Date",
    ),
}
_PRIORITY = re.compile(r"Priority:\s*(Standard|Expedited)", re.I)
_STATES = re.compile(r"State\s*\(s\)\s+of\s+Licensure\s*:\s*(.+?)(?=\n\s*\n|Certification|$)", re.I | re.S)
_SPECIALTY = re.compile(
    r"Certification\s*\(s\)\s*/\s*Specialty\s*:\s*(.+?)(?=\n\s*\n|\n\s*[A-Z][A-Z ]{8,}\n|$)", re.I | re.S
)
_BOARD = re.compile(
    r"Board\s+Certified\s+in\s+(.+?)(?:,?\s+and\s+(?:is\s+)?licensed\s+to\s+practice\s+in\s+(.+?))?\.(?:\s|$)",
    re.I | re.S,
)
_LICENSED = re.compile(r"licensed\s+to\s+practice\s+in\s+(.+?)\.(?:\s|$)", re.I | re.S)
_AGE_SEX = re.compile(
    r"\b(\d{1,3})[\s-]*(?:year|yr)s?[\s-]*old\s+(?:\w+\s+)?"
    r"(male|female|man|woman|gentleman|lady|boy|girl)\b",
    re.I,
)
_SEX_WORDS = {
    "male": "male",
    "man": "male",
    "gentleman": "male",
    "boy": "male",
    "female": "female",
    "woman": "female",
    "lady": "female",
    "girl": "female",
}


def _norm(text: str) -> str:
    return " ".join(text.split())


def parse_date(text: str) -> dt.date | None:
    """``11/09/2016``, ``11-09-2016``, ``11/09/16`` or ``November 9, 2016`` -> date (None if impossible)."""
    text = " ".join(text.split())
    m = re.fullmatch(r"(\d{1,2})[/-](\d{1,2})[/-](\d{4}|\d{2})", text)
    if m:
        month, day, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
        year += 2000 if year < 100 else 0  # the program began in 2013
    else:
        m = re.fullmatch(r"([A-Za-z]+)\.? (\d{1,2}),? (\d{4})", text)
        names = [n for n in _MONTHS if m and n.startswith(m.group(1).lower()[:3])]
        if not m or len(names) != 1:
            return None
        month, day, year = _MONTHS.index(names[0]) + 1, int(m.group(2)), int(m.group(3))
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def case_number(text: str) -> str | None:
    m = CASE_NUMBER.search(text)
    return m.group(1) if m else None


def header_dates(header: str) -> Dates:
    """Dates from a header whose lines extraction may have split or reordered.

    Labels and dates are read in order of position and each date goes to the earliest label still
    waiting for one, so ``Date Assigned: 11/09/2016`` and ``Date Assigned: Date of Injury: 11/09/2016
    10/13/2016`` both read right.
    """
    tokens: list[tuple[int, str, str]] = []
    for fld, labels in DATE_LABELS.items():
        for label in labels:
            # prose labels ("... denial dated 7/15/2013") need no colon
            colon = r"\s*:?" if label.endswith(("dated", "received")) else r"\s*:"
            m = re.search(r"\s+".join(map(re.escape, label.split())) + colon, header, re.I)
            if m:
                tokens.append((m.start(), "label", fld))
                break
    tokens.extend((m.start(), "date", m.group(1)) for m in re.finditer(_DATE, header))
    found: dict[str, dt.date | None] = {}
    waiting: list[str] = []
    for _, kind, value in sorted(tokens):
        if kind == "label":
            waiting.append(value)
        elif waiting:
            found[waiting.pop(0)] = parse_date(value)
    return Dates(**found)


def priority(header: str) -> str | None:
    m = _PRIORITY.search(header)
    return m.group(1).lower() if m else None


def _split_list(text: str) -> tuple[str, ...]:
    parts = re.split(r"\s*,\s*|\s+and\s+(?=[A-Z])", _norm(text).rstrip(". "))
    return tuple(p.strip() for p in parts if p.strip())


def reviewer(text: str) -> Reviewer:
    """Licensure states and specialties, as written, one entry per listed value."""
    states: tuple[str, ...] = ()
    specialties: tuple[str, ...] = ()
    m = _STATES.search(text)
    if m:
        states = _split_list(m.group(1))
    m = _SPECIALTY.search(text)
    if m:
        specialties = tuple(s for s in _split_list_keep_and(m.group(1)))
    if not specialties:
        b = _BOARD.search(text)
        if b:
            specialties = _split_list_keep_and(b.group(1))
            if b.group(2) and not states:
                states = _split_list(b.group(2))
    if not states:
        lm = _LICENSED.search(text)
        if lm:
            states = _split_list(lm.group(1))
    return Reviewer(states, specialties)


def _split_list_keep_and(text: str) -> tuple[str, ...]:
    """Specialties split at commas only ("Physical Medicine and Rehabilitation" is one)."""
    return tuple(p.strip() for p in _norm(text).rstrip(". ").split(",") if p.strip())


def patient(summary: str) -> Patient:
    """Age and sex as the summary states them ("a 48 year old male"); never anything else."""
    m = _AGE_SEX.search(summary)
    if not m:
        return Patient()
    age = int(m.group(1))
    return Patient(age if 10 <= age <= 110 else None, _SEX_WORDS[m.group(2).lower()])
