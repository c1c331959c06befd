"""Decisions most like a given one: the "similar decisions" box of a decision page, ``imrkb similar ID``.

The decision's items and rationales give their most distinctive terms (Whoosh's key terms); every item
holding one scores its weight times its rarity (set arithmetic over the cached term sets, as in
:mod:`.ranking`), and the best items' scores are summed per decision, so a decision that resembles several
of this one's items ranks above one that resembles a single item.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from ..errors import UsageError
from .schema import TEXT_FIELDS
from .searching import PrecedentIndex

#: Key terms taken from the items and from the rationales.
ITEM_TERMS = 8
RATIONALE_TERMS = 20
#: Best-scoring items grouped by decision.
CANDIDATES = 200


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
    own = index.docset("decision", decision_id)
    if not own:
        raise UsageError(f"no decision {decision_id!r} in the index")
    fields = [s.stored_fields(d) for d in sorted(own)]
    items_text = " ".join(f.get("item", "") + " " + f.get("original_request", "") for f in fields)
    rationale_text = " ".join(f.get("rationale", "") for f in fields)
    scores: dict[int, float] = defaultdict(float)
    total = max(1, index.total)
    for fieldname, text, n in (
        ("item", items_text, ITEM_TERMS),
        ("rationale", rationale_text, RATIONALE_TERMS),
    ):
        for word, weight in s.key_terms_from_text(fieldname, text, numterms=n):
            docs = index.docset(fieldname, word)
            if not docs:
                continue
            w = TEXT_FIELDS[fieldname] * float(weight) * math.log(1 + total / len(docs))
            for d in docs:
                scores[d] += w
    for d in own:
        scores.pop(d, None)
    order = index.order
    best = heapq.nlargest(CANDIDATES, scores, key=lambda d: (scores[d], order[d]))
    by_decision: dict[str, float] = defaultdict(float)
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    meta: dict[str, tuple[str, str]] = {}
    for d in best:
        f = s.stored_fields(d)
        dec = f["decision"]
        by_decision[dec] += scores[d]
        found[dec].append(
            {"item_number": f["facts"]["n"], "item": f.get("item", ""), "outcome": f["outcome"]}
        )
        meta[dec] = (f.get("date", ""), f["path"])
    ranked = sorted(by_decision, key=lambda k: (-by_decision[k], k))[:limit]
    return [
        SimilarDecision(
            k, meta[k][0], by_decision[k], sorted(found[k], key=lambda i: i["item_number"]), meta[k][1]
        )
        for k in ranked
    ]
