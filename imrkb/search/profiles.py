"""What a decision is about, for "similar decisions": its weighted terms and its signature (pure functions).

A decision's *terms* come from what it decided, each with a field weight (as in :data:`.schema.TEXT_FIELDS`):

* ``i:<stem>``: words of each item and original request (weights 4 and 2), the treatment asked for;
* ``r:<stem>``: words of each rationale (weight 1);
* ``c:<term>``: the guideline, chapter, page and topic terms of every citation
  (:func:`.documents.citation_terms`, weight 2 each), so decisions citing the same guideline pages are alike.

Its *signature* is its :data:`SIGNATURE` most distinctive terms, weighted ``(1 + ln tf) x idf`` with the
corpus's inverse document frequencies, scaled to unit length and rounded to integers (:data:`SCALE`), so
the similarity of two decisions, the sum of the products of the weights of the terms both signatures
hold, is an exact integer that does not depend on the order of the additions: computed from either side,
in a batch or one at a time, it is the same number and ties break the same way.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Callable, Mapping

from ..models import Decision, Issue
from .documents import citation_terms
from .schema import ANALYZER

#: Terms kept in a signature.
SIGNATURE = 20
#: Weights are scaled so a signature has length about ``SCALE``: a similarity is at most about SCALE**2
#: (2**24), so products and sums stay exact in 32-bit integers.
SCALE = 1 << 12
#: Field weights of the term kinds.
ITEM, REQUEST, RATIONALE, CITATION = 4.0, 2.0, 1.0, 2.0

#: A signature: ``(term, integer weight)`` pairs, sorted by term.
Signature = tuple[tuple[str, int], ...]


def words(text: str | None) -> list[str]:
    """The analysed words of ``text`` (lower case, stop words dropped, Porter stems), as in the index."""
    return [t.text for t in ANALYZER(text or "")] if text else []


def issue_terms(issue: Issue, unnumbered: dict[str, str] | None = None) -> Counter[str]:
    """The terms of one disputed item with their weighted frequencies; ``unnumbered`` is
    :func:`.documents.null_chapters` of the catalog."""
    tf: Counter[str] = Counter()
    for w in words(issue.item):
        tf["i:" + w] += ITEM
    for w in words(issue.original_request):
        tf["i:" + w] += REQUEST
    for w in words(issue.rationale):
        tf["r:" + w] += RATIONALE
    cited: set[str] = set()
    for c in (*issue.reviewer_citations, *issue.claims_administrator_citations):
        for terms in citation_terms(c, unnumbered):
            cited.update(terms)
    for t in cited:  # a page cited by both sides counts once per item
        tf["c:" + t] += CITATION
    return tf


def decision_terms(d: Decision, unnumbered: dict[str, str] | None = None) -> dict[str, float]:
    """Every term of ``d`` with its weighted frequency (the sum of its field weights over occurrences)."""
    tf: Counter[str] = Counter()
    for issue in d.issues:
        tf.update(issue_terms(issue, unnumbered))
    return dict(tf)


def content_key(d: Decision) -> str:
    """A hash of everything :func:`decision_terms` reads: equal keys, equal terms (the summary, dates and
    reviewer do not count, so editing them leaves the decision's neighbours alone)."""
    h = hashlib.sha256()
    for issue in d.issues:
        cites = (*issue.reviewer_citations, *issue.claims_administrator_citations)
        parts = [issue.item, issue.original_request or "", issue.rationale]
        parts += [repr((c.guideline, c.chapter, c.topics, c.pages)) for c in cites]
        for p in parts:
            h.update(p.encode("utf-8", "surrogatepass"))
            h.update(b"\x1f")
        h.update(b"\x1e")
    return h.hexdigest()[:32]


def idf(total: int, df: int) -> float:
    """Inverse document frequency of a term found in ``df`` of ``total`` decisions (an unseen one: once)."""
    return math.log(1 + max(total, 1) / max(df, 1))


def signature(terms: Mapping[str, float], weight: Callable[[str], float]) -> Signature:
    """The :data:`SIGNATURE` terms of highest ``(1 + ln tf) x weight(term)`` (ties: the term), scaled to
    length :data:`SCALE` and rounded; terms that round to 0 are dropped."""
    scored = [((1.0 + math.log(f)) * weight(t), t) for t, f in terms.items() if f >= 1.0]
    scored.sort(key=lambda p: (-p[0], p[1]))
    top = [(w, t) for w, t in scored[:SIGNATURE] if w > 0]
    norm = math.sqrt(sum(w * w for w, _ in top))
    if not norm:
        return ()
    out = ((t, round(w / norm * SCALE)) for w, t in top)
    return tuple(sorted((t, q) for t, q in out if q > 0))


def score(a: Signature | Mapping[str, int], b: Signature) -> int:
    """The similarity of two signatures: the sum of weight products over the terms both hold."""
    wa = a if isinstance(a, Mapping) else dict(a)
    return sum(q * wa.get(t, 0) for t, q in b)


def as_float(s: int) -> float:
    """A similarity as a number about 0 (nothing shared) to 1 (the same signature)."""
    return s / (SCALE * SCALE)
