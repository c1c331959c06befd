"""Letter -> :class:`~imrkb.models.Decision`: the parser's entry points.

``clean`` -> ``layout`` -> ``fields`` / ``items`` (which use ``citations``) -> the record. Messy text never
raises; only a file that is not a determination letter at all (no known layout, no disputed items) raises
:class:`~imrkb.errors.LetterError`. Facts a letter lacks are ``null`` and listed in ``warnings``.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from . import fields
from .catalog import Catalog, load_catalog
from .clean import clean_text
from .errors import LetterError
from .items import parse_items, parse_notice_items, parse_numbered_decisions, parse_review_items
from .layout import Sections, detect_layout, split_sections
from .models import Decision, Issue, Source
from .pdftext import read_bytes, text_of

_SUMMARY_INTRO = re.compile(
    r"^.{0,200}?(?:including\s+all\s+medical\s+records|case\s+file)\s*:\s*", re.I | re.S
)


#: Where each layout keeps its disputed items, for the error a letter without any gets.
_ISSUES_WHERE = {
    "mpr-2013": "an 'ISSUE AT DISPUTE:' list",
    "notice-2013": "numbered '1) MAXIMUS Federal Services, Inc. has determined ...' lines",
    "maximus-2014": "numbered '1. <item> is not medically necessary' lines under 'IMR DECISION(S) AND "
    "RATIONALE(S)'",
}


def _issues(sec: Sections, text: str, name: str, cat: Catalog) -> list[Issue]:
    """The disputed items, read the way the letter's layout lays them out."""
    if sec.layout == "mpr-2013":
        issues = parse_review_items(sec.get("issues_list"), sec.get("guidelines"), sec.get("rationale"), cat)
    elif sec.layout == "notice-2013":
        issues = parse_notice_items(text, cat)
    elif sec.layout == "maximus-2014":
        issues = parse_numbered_decisions(sec.get("issues"), cat)
    else:
        if not sec.get("issues").strip():
            raise LetterError(
                name, "no issues section: the letter has no 'IMR ISSUES, DECISIONS AND RATIONALES' part"
            )
        issues = parse_items(sec.get("issues"), cat)
    if not issues:
        where = _ISSUES_WHERE.get(sec.layout, "'<item>: Upheld' or '<item>: Overturned' lines")
        raise LetterError(name, f"no disputed items: found no {where}")
    return issues


def content_id(text: str) -> str:
    """A stable id for a letter without a case number: a hash of its text as given (whitespace-normalised),
    so it does not change when the cleaning steps do."""
    digest = hashlib.sha256(" ".join(text.split()).lower().encode("utf-8")).hexdigest()
    return f"IMR-{digest[:12]}"


def parse_text(
    text: str,
    name: str = "<text>",
    sha256: str | None = None,
    pages: int | None = None,
    catalog: Catalog | None = None,
) -> Decision:
    """Parse one letter's extracted text. ``name`` is used in errors and as ``source.file``."""
    cat = catalog or load_catalog()
    raw, text = text, clean_text(text)
    layout = detect_layout(text)
    if layout is None:
        raise LetterError(
            name,
            "not an IMR determination letter: none of the known headings "
            "(e.g. 'IMR ISSUES, DECISIONS AND RATIONALES') was found",
        )
    sec = split_sections(text, layout)
    issues = _issues(sec, text, name, cat)

    header = sec.header
    case = fields.case_number(header) or fields.case_number(text[:2000])
    dates = fields.header_dates(header + "\n" + sec.get("decision"))
    reviewer = fields.reviewer(sec.get("reviewer") or text)
    summary = " ".join(_SUMMARY_INTRO.sub("", sec.get("summary"), count=1).split())
    warnings = []
    if case is None:
        warnings.append("no case number")
    if dates.decision is None:
        warnings.append("no decision date")
    if not reviewer.specialties:
        warnings.append("no reviewer specialty")
    synthetic = sec.synthetic or bool(case and case.startswith("SYN"))
    return Decision(
        id=case or content_id(raw),
        case_number=case,
        layout=layout,
        priority=fields.priority(header),
        dates=dates,
        reviewer=reviewer,
        patient=fields.patient(summary),
        summary=summary,
        issues=tuple(issues),
        source=Source(
            file=name, sha256=sha256 or hashlib.sha256(text.encode("utf-8")).hexdigest(), pages=pages
        ),
        synthetic=synthetic,
        warnings=tuple(warnings),
    )


def parse_bytes(data: bytes, name: str, catalog: Catalog | None = None) -> Decision:
    """Parse a letter given as bytes (PDF or text); ``name`` is the file name to report and record."""
    text, pages = text_of(data, name)
    return parse_text(text, name, hashlib.sha256(data).hexdigest(), pages, catalog)


def parse_file(path: Path, catalog: Catalog | None = None) -> Decision:
    """Parse one letter file. Errors name ``path``; the record keeps only the file's name."""
    data = read_bytes(path)
    try:
        return parse_bytes(data, path.name, catalog)
    except LetterError as e:
        raise LetterError(str(path), e.problem, e.line) from None
