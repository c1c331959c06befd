"""Decisions most like a given one: the "similar decisions" box of a decision page, ``imrkb similar ID``.

The decision's items and rationales give their most distinctive terms (Whoosh's key terms, weighted by
how rare they are in the index); items matching them are scored and summed per decision, so a decision
that resembles several of this one's items ranks above one that resembles a single item.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from whoosh import query as wq

from ..errors import UsageError
from .schema import TEXT_FIELDS
from .searching import PrecedentIndex

#: Key terms taken from the items and from the rationales.
ITEM_TERMS = 8
RATIONALE_TERMS = 20
#: Candidate items scored before grouping by decision.
CANDIDATES = 400


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


def similar(index: PrecedentIndex, decision_id: str, limit: int = 5) -> list[SimilarDecision]:
    """The ``limit`` decisions most like ``decision_id`` (never itself); :class:`UsageError` if unknown."""
    if limit < 1:
        raise UsageError("--limit must be at least 1")
    s = index.searcher
    own = s.search(wq.Term("decision", decision_id), limit=None)
    if not own:
        raise UsageError(f"no decision {decision_id!r} in the index")
    fields = [hit.fields() for hit in own]
    items_text = " ".join(f.get("item", "") + " " + f.get("original_request", "") for f in fields)
    rationale_text = " ".join(f.get("rationale", "") for f in fields)
    terms: list[wq.Query] = []
    for fieldname, text, n in (
        ("item", items_text, ITEM_TERMS),
        ("rationale", rationale_text, RATIONALE_TERMS),
    ):
        for word, weight in s.key_terms_from_text(fieldname, text, numterms=n):
            terms.append(wq.Term(fieldname, word, boost=TEXT_FIELDS[fieldname] * float(weight)))
    if not terms:
        return []
    results = s.search(wq.Or(terms), limit=CANDIDATES, mask=wq.Term("decision", decision_id))
    score: dict[str, float] = defaultdict(float)
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    meta: dict[str, tuple[str, str]] = {}
    for hit in results:
        f = hit.fields()
        d = f["decision"]
        score[d] += float(hit.score or 0.0)
        found[d].append({"item_number": f["facts"]["n"], "item": f.get("item", ""), "outcome": f["outcome"]})
        meta[d] = (f.get("date", ""), f["path"])
    ranked = sorted(score, key=lambda d: (-score[d], d))[:limit]
    return [
        SimilarDecision(d, meta[d][0], score[d], sorted(found[d], key=lambda i: i["item_number"]), meta[d][1])
        for d in ranked
    ]
