"""Decision records → index documents (pure functions, no I/O).

One document per disputed item, carrying its decision's facts. Guideline citations become terms that the
query language (:mod:`imrkb.search.query`) produces too:

* ``guideline``: ``mtus-acoem`` and ``mtus-acoem:8`` (family, family:chapter);
* ``page``: every page of every cited range, ``mtus-acoem:8:178`` and ``mtus-acoem:178`` (any chapter);
* ``topic``: each stemmed word of each topic, ``odg:low-back:mri`` and ``odg:mri``.

Citations of either side (the claims administrator's and the expert reviewer's) feed these fields, as on
the site's guideline pages and statistics; results show the reviewer's citations first.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..catalog import Catalog, slugify
from ..categories import classify
from ..models import Citation, Decision, Issue
from .schema import ANALYZER

#: A cited range wider than this is indexed by its end pages only (a typo like 300-3050 would otherwise
#: expand into thousands of terms).
MAX_RANGE = 150

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def chapter_key(chapter: int | str | None) -> str | None:
    """The chapter as it appears in terms and queries: ``8``, ``low-back``; ``None`` when absent."""
    if chapter is None or chapter == "":
        return None
    return str(chapter) if isinstance(chapter, int) else slugify(str(chapter))


def topic_words(text: str) -> list[str]:
    """Stemmed words of a topic name, as in ``topic`` terms (stop words and punctuation dropped)."""
    return [t.text for t in ANALYZER(text)]


def expand_pages(pages: Iterable[tuple[int, int]]) -> list[int]:
    """Every page of every range, sorted and unique; over-wide ranges contribute their ends only."""
    out: set[int] = set()
    for a, b in pages:
        lo, hi = min(a, b), max(a, b)
        if hi - lo > MAX_RANGE:
            out.update((lo, hi))
        else:
            out.update(range(lo, hi + 1))
    return sorted(out)


def _null_chapters(catalog: Catalog | None) -> dict[str, str]:
    """:func:`null_chapters` of the catalog last asked for (the indexer uses one catalog throughout)."""
    if _null_cache and _null_cache[0][0] is catalog:
        return _null_cache[0][1]
    found = null_chapters(catalog)
    _null_cache[:] = [(catalog, found)]
    return found


_null_cache: list[tuple[Catalog | None, dict[str, str]]] = []


def null_chapters(catalog: Catalog | None) -> dict[str, str]:
    """Guidelines whose catalog has a chapter without a number (MTUS ACOEM's General Approaches): the
    data contract writes that chapter as null, and a query names it by its slug."""
    if catalog is None:
        return {}
    return {g.id: c.slug for g in catalog for c in g.chapters if c.key is None}


def citation_terms(
    c: Citation, unnumbered: dict[str, str] | None = None
) -> tuple[list[str], list[str], list[str]]:
    """``(guideline, page, topic)`` terms of one citation; ``unnumbered`` from :func:`null_chapters`."""
    g = c.guideline
    ch = chapter_key(c.chapter) or (unnumbered or {}).get(g)
    guideline = [g] + ([f"{g}:{ch}"] if ch else [])
    pages = expand_pages(c.pages)
    page = [f"{g}:{p}" for p in pages] + ([f"{g}:{ch}:{p}" for p in pages] if ch else [])
    words = sorted({w for t in c.topics for w in topic_words(t)})
    topic = [f"{g}:{w}" for w in words] + ([f"{g}:{ch}:{w}" for w in words] if ch else [])
    return guideline, page, topic


def citation_label(c: Citation, catalog: Catalog | None) -> str:
    """A short human description: ``MTUS ACOEM ch. 8 Neck and Upper Back Complaints, pp. 177-179``."""
    g = catalog.guidelines.get(c.guideline) if catalog else None
    parts = [g.short if g else c.guideline]
    chapter = g.chapter(c.chapter) if g and c.chapter is not None else None
    if isinstance(c.chapter, int):
        parts.append(f"ch. {c.chapter}" + (f" {chapter.title}" if chapter else ""))
    elif c.chapter:
        parts.append(chapter.title if chapter else str(c.chapter))
    label = " ".join(parts)
    if c.topics:
        label += ", " + "; ".join(c.topics)
    if c.pages:
        ranges = ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in c.pages)
        many = len(c.pages) > 1 or c.pages[0][0] != c.pages[0][1]
        label += f", {'pp.' if many else 'p.'} {ranges}"
    return label


def citation_facts(c: Citation, catalog: Catalog | None) -> dict[str, Any]:
    return {
        "guideline": c.guideline,
        "chapter": c.chapter,
        "topics": [clean(t) for t in c.topics],
        "pages": [list(p) for p in c.pages],
        "text": clean(c.text),
        "label": clean(citation_label(c, catalog)),
    }


def clean(text: str | None) -> str:
    """Untrusted letter text without control characters (they would corrupt terminals and snippets)."""
    return _CONTROL.sub(" ", text or "")


@dataclass(frozen=True)
class Labels:
    """Display labels of filter terms met while making documents (slug → label), per field."""

    category: dict[str, str]
    specialty: dict[str, str]
    state: dict[str, str]


def category_terms(category: str, subcategory: str | None) -> list[str]:
    """Slugs a ``category:`` filter can name: the category, the subcategory, and both together."""
    terms = [slugify(category)]
    if subcategory:
        terms.append(slugify(f"{category} {subcategory}"))
        if slugify(subcategory) != "other":
            terms.append(slugify(subcategory))
    return terms


def order_key(decision_date: str, uid: str) -> int:
    """A number that orders items newest first and, on the same date, in a fixed arbitrary order that
    does not depend on how the index was built (so equal scores always rank the same way)."""
    day = int(decision_date.replace("-", "")) if decision_date else 0
    return day * 10**9 + zlib.crc32(uid.encode("utf-8")) % 10**9


def item_document(d: Decision, n: int, issue: Issue, path: str, catalog: Catalog | None) -> dict[str, Any]:
    """The index document of the ``n``-th (1-based) item of decision ``d`` stored at ``path``."""
    guideline: list[str] = []
    page: list[str] = []
    topic: list[str] = []
    cites = [*issue.reviewer_citations, *issue.claims_administrator_citations]
    unnumbered = _null_chapters(catalog)
    for c in cites:
        gt, pt, tt = citation_terms(c, unnumbered)
        guideline += gt
        page += pt
        topic += tt
    category, subcategory = classify(issue.item)
    date = d.dates.decision.isoformat() if d.dates.decision else ""
    doc = {
        "uid": f"{d.id}#{n}",
        "decision": d.id,
        "path": path,
        "item": clean(issue.item),
        "original_request": clean(issue.original_request),
        "rationale": clean(issue.rationale),
        "summary": clean(d.summary),
        "citations": " ".join(clean(c.text) for c in cites),
        "outcome": issue.outcome,
        "date": date,
        "year": date[:4],
        "month": date[:7],
        "order": order_key(date, f"{d.id}#{n}"),
        "guideline": " ".join(dict.fromkeys(guideline)),
        "page": " ".join(dict.fromkeys(page)),
        "topic": " ".join(dict.fromkeys(topic)),
        "category": " ".join(dict.fromkeys(category_terms(category, subcategory))),
        "specialty": " ".join(slugify(s) for s in d.reviewer.specialties),
        "state": " ".join(slugify(s) for s in d.reviewer.licensed_in),
        "facts": {
            "n": n,
            "items": len(d.issues),
            "reviewer_citations": [citation_facts(c, catalog) for c in issue.reviewer_citations],
            "claims_administrator_citations": [
                citation_facts(c, catalog) for c in issue.claims_administrator_citations
            ],
            "category": category,
            "subcategory": subcategory,
            "specialties": [clean(s) for s in d.reviewer.specialties],
            "states": [clean(s) for s in d.reviewer.licensed_in],
            "synthetic": d.synthetic,
        },
    }
    if not date:  # an undated item has no year term (an empty one would fall inside open year ranges)
        del doc["year"], doc["month"]
    return doc


def decision_documents(d: Decision, path: str, catalog: Catalog | None) -> list[dict[str, Any]]:
    """One document per item of ``d``."""
    return [item_document(d, n, issue, path, catalog) for n, issue in enumerate(d.issues, 1)]


def labels_of(docs: Iterable[dict[str, Any]], into: Labels) -> None:
    """Record the display label of every category, specialty and state slug in ``docs``."""
    for doc in docs:
        f = doc["facts"]
        into.category.setdefault(slugify(f["category"]), f["category"])
        if f["subcategory"]:
            sub = f["subcategory"]
            into.category.setdefault(slugify(f"{f['category']} {sub}"), f"{f['category']} / {sub}")
            if slugify(sub) != "other":
                into.category.setdefault(slugify(sub), sub)
        for s in f["specialties"]:
            into.specialty.setdefault(slugify(s), s)
        for s in f["states"]:
            into.state.setdefault(slugify(s), s)
