"""Bulk downloads of the corpus: JSON Lines (one full record a line) and CSV (one row per item).

Both stream: one record in memory at a time. CSV cells that a spreadsheet would read as a formula
(starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return) are prefixed with ``'``.
"""

from __future__ import annotations

import csv
import io
import json
from typing import IO, Any

from ..categories import classify
from ..models import Citation, Decision
from ..records import public_dict

FORMATS = ("jsonl", "csv")

CSV_COLUMNS = (
    "id",
    "case_number",
    "decision_date",
    "priority",
    "reviewer_licensed_in",
    "reviewer_specialties",
    "item_number",
    "item",
    "original_request",
    "outcome",
    "category_inferred",
    "subcategory_inferred",
    "reviewer_citations",
    "claims_administrator_citations",
    "rationale",
    "synthetic",
)


def _json_default(v: Any) -> Any:
    if hasattr(v, "isoformat"):
        return v.isoformat()
    raise TypeError(type(v).__name__)


def jsonl_line(d: Decision) -> str:
    """One record on one line. U+2028/U+2029 are escaped: readers that split on every Unicode line
    break (Python's ``str.splitlines``, some editors) would otherwise cut a record in two."""
    line = json.dumps(public_dict(d), default=_json_default, ensure_ascii=False, separators=(",", ":"))
    return line.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029") + "\n"


def _cell(v: object) -> str:
    s = "" if v is None else str(v)
    return "'" + s if s[:1] in ("=", "+", "-", "@", "\t", "\r") else s


def _cites(cs: tuple[Citation, ...]) -> str:
    return " | ".join(c.text or c.guideline for c in cs)


def csv_rows(d: Decision) -> list[list[str]]:
    """One row per item, decision fields repeated."""
    rows = []
    for n, i in enumerate(d.issues, start=1):
        cat, sub = classify(i.item)
        values = (
            d.id,
            d.case_number,
            d.dates.decision.isoformat() if d.dates.decision else "",
            d.priority,
            "; ".join(d.reviewer.licensed_in),
            "; ".join(d.reviewer.specialties),
            n,
            i.item,
            i.original_request,
            i.outcome,
            cat,
            sub,
            _cites(i.reviewer_citations),
            _cites(i.claims_administrator_citations),
            i.rationale,
            "true" if d.synthetic else "false",
        )
        rows.append([_cell(v) for v in values])
    return rows


def csv_text(d: Decision) -> str:
    """The CSV lines of one record, as :class:`Exporter` writes them (the header aside)."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(csv_rows(d))
    return buf.getvalue()


def csv_header() -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(CSV_COLUMNS)
    return buf.getvalue()


class Exporter:
    """Writes records to an open text stream in one of :data:`FORMATS`."""

    def __init__(self, fmt: str, out: IO[str]) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"unknown export format {fmt!r}")
        self.fmt = fmt
        self.out = out
        self.count = 0
        self._csv = csv.writer(out, lineterminator="\n") if fmt == "csv" else None
        if self._csv is not None:
            self._csv.writerow(CSV_COLUMNS)

    def add(self, d: Decision) -> None:
        if self._csv is not None:
            self._csv.writerows(csv_rows(d))
        else:
            self.out.write(jsonl_line(d))
        self.count += 1
