"""Decisions most like a given one: the "similar decisions" box of a decision page, ``imrkb similar ID``.

Answers from the neighbour table (:mod:`.neighbour_table`, brought up to date first), so the command and
the site list the same decisions with the same scores: the similarity of two decisions' signatures of
their most distinctive terms (items, rationales, citations; :mod:`.profiles`), from 0 (nothing shared)
to 1. A decision's matching items are those holding a term both signatures share.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..catalog import load_catalog
from ..errors import UsageError
from ..records import read_record
from .documents import clean, null_chapters
from .neighbour_table import Say, update_neighbours
from .profiles import as_float, issue_terms


@dataclass(frozen=True)
class SimilarDecision:
    decision: str
    date: str
    score: float
    items: list[dict[str, Any]]  # the matching items: number, item, outcome
    path: str

    def to_json(self) -> dict[str, Any]:
        return {
            "decision": self.decision,
            "date": self.date or None,
            "score": round(self.score, 4),
            "items": self.items,
            "path": self.path,
        }


def similar(root: Path, decision_id: str, limit: int = 5, *, say: Say | None = None) -> list[SimilarDecision]:
    """The ``limit`` decisions most like ``decision_id`` (never itself); :class:`UsageError` if unknown."""
    if limit < 1:
        raise UsageError("--limit must be at least 1")
    table = update_neighbours(root, say=say).table
    if decision_id not in table.lists:
        raise UsageError(f"no decision {decision_id!r} under {Path(root) / 'decisions'}")
    own = dict(table.signature(decision_id))
    unnumbered = null_chapters(load_catalog())
    found = []
    for other, score in table.ranked(decision_id, limit):
        path = table.path(other)
        d = read_record(Path(root) / path)
        shared = own.keys() & dict(table.signature(other)).keys()
        items = [
            {"item_number": n, "item": clean(issue.item), "outcome": issue.outcome}
            for n, issue in enumerate(d.issues, 1)
            if shared & issue_terms(issue, unnumbered).keys()
        ]
        date = d.dates.decision.isoformat() if d.dates.decision else ""
        found.append(SimilarDecision(other, date, as_float(score), items, path))
    return found
