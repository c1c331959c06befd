"""Typed determination records: the data contract every stage shares.

Frozen dataclasses only; YAML/JSON conversion lives in :mod:`imrkb.records`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

SCHEMA_VERSION = 1

OUTCOMES = ("upheld", "overturned")
PRIORITIES = ("standard", "expedited")
GUIDELINE_IDS = (
    "mtus-acoem",
    "mtus-cpmtg",
    "mtus-acupuncture",
    "mtus-postsurgical",
    "mtus-opioids",
    "mtus-formulary",
    "odg",
    "acoem",
    "other",
    "none",
)

PageRange = tuple[int, int]


@dataclass(frozen=True)
class Citation:
    """One guideline citation as resolved against the catalog in ``guidelines/``."""

    guideline: str
    chapter: int | str | None = None
    edition: str | None = None
    topics: tuple[str, ...] = ()
    pages: tuple[PageRange, ...] = ()
    text: str = ""


@dataclass(frozen=True)
class Issue:
    """One disputed item and its determination."""

    item: str
    outcome: str
    original_request: str | None = None
    claims_administrator_citations: tuple[Citation, ...] = ()
    reviewer_citations: tuple[Citation, ...] = ()
    rationale: str = ""


@dataclass(frozen=True)
class Dates:
    decision: dt.date | None = None
    assigned: dt.date | None = None
    injury: dt.date | None = None
    ur_denial: dt.date | None = None
    application_received: dt.date | None = None


@dataclass(frozen=True)
class Reviewer:
    licensed_in: tuple[str, ...] = ()
    specialties: tuple[str, ...] = ()


@dataclass(frozen=True)
class Patient:
    age: int | None = None
    sex: str | None = None


@dataclass(frozen=True)
class Source:
    file: str
    sha256: str
    pages: int | None = None


@dataclass(frozen=True)
class PiiFinding:
    """Personal data found in a record (see :mod:`imrkb.pii`): never the value itself.

    ``field`` is the record path (``summary``, ``issues[0].rationale``; ``letter`` for text of the source
    letter that no field holds), ``offset`` the character offset of the match in that text, ``masked`` the
    match with its value masked (``Mr. J*** S****``).
    """

    kind: str
    field: str
    offset: int
    masked: str


@dataclass(frozen=True)
class PiiOverride:
    """A person's explicit, reasoned decision that a record's personal-data findings may be published."""

    reason: str
    by: str


@dataclass(frozen=True)
class Decision:
    """One Final Determination Letter as a typed record."""

    id: str
    case_number: str | None
    layout: str
    priority: str | None
    dates: Dates
    reviewer: Reviewer
    patient: Patient
    summary: str
    issues: tuple[Issue, ...]
    source: Source
    synthetic: bool = False
    schema: int = SCHEMA_VERSION
    warnings: tuple[str, ...] = field(default=())
    pii: tuple[PiiFinding, ...] = field(default=())
    pii_override: PiiOverride | None = None

    @property
    def year_folder(self) -> str:
        """The ``decisions/<year>/`` folder: the decision year, or ``undated``."""
        return str(self.dates.decision.year) if self.dates.decision else "undated"
