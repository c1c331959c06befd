"""Counts and overturn rates of disputed items, grouped by outcome, year, guideline, category or specialty.

Two sources give the same numbers: :func:`from_decisions` (pure, over records; what a site build can use)
and :func:`from_index` (fast set arithmetic over the index; what ``imrkb stats`` uses). The groups are
the site's: an item counts under every guideline family cited on either side, under every specialty its
reviewer lists, under ``undated`` when its decision has no date.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from ..catalog import ORDER, Catalog, slugify
from ..categories import classify, load_vocabulary
from ..errors import UsageError
from ..models import OUTCOMES, Decision, Issue

BY = ("outcome", "year", "guideline", "category", "specialty")
UNDATED = "undated"
NOT_STATED = "not-stated"


@dataclass(frozen=True)
class Group:
    value: str
    label: str
    count: int
    overturned: int

    @property
    def upheld(self) -> int:
        return self.count - self.overturned

    @property
    def overturn_rate(self) -> float | None:
        return self.overturned / self.count if self.count else None

    def to_json(self) -> dict[str, object]:
        return {
            "value": self.value,
            "label": self.label,
            "count": self.count,
            "upheld": self.upheld,
            "overturned": self.overturned,
            "overturn_rate": self.overturn_rate,
        }


@dataclass(frozen=True)
class Stats:
    by: str
    total: Group
    groups: list[Group]

    def to_json(self) -> dict[str, object]:
        return {"by": self.by, "total": self.total.to_json(), "groups": [g.to_json() for g in self.groups]}


@functools.lru_cache(maxsize=1)
def category_slugs() -> list[str]:
    """Slugs of the treatment categories, in the vocabulary's display order."""
    return [slugify(n) for n in load_vocabulary().category_names()]


def check_by(by: str) -> str:
    if by not in BY:
        raise UsageError(f"--by: {by!r} is not one of {', '.join(BY)}")
    return by


def item_groups(d: Decision, issue: Issue, by: str, catalog: Catalog) -> list[tuple[str, str]]:
    """The ``(value, label)`` groups one item belongs to."""
    if by == "outcome":
        return [(issue.outcome, issue.outcome)]
    if by == "year":
        y = str(d.dates.decision.year) if d.dates.decision else UNDATED
        return [(y, y)]
    if by == "guideline":
        fams = dict.fromkeys(
            c.guideline for c in (*issue.reviewer_citations, *issue.claims_administrator_citations)
        )
        return [(g, catalog.guidelines[g].short if g in catalog.guidelines else g) for g in fams]
    if by == "category":
        cat, _ = classify(issue.item)
        return [(slugify(cat), cat)]
    specs = dict.fromkeys(d.reviewer.specialties)
    return [(slugify(s), s) for s in specs] or [(NOT_STATED, "(not stated)")]


def order(by: str, groups: Iterable[Group]) -> list[Group]:
    """Display order: outcomes as defined, years ascending (undated last), guidelines in catalog order,
    categories in vocabulary order, specialties by count."""
    gs = list(groups)
    if by == "outcome":
        return sorted(gs, key=lambda g: OUTCOMES.index(g.value) if g.value in OUTCOMES else 99)
    if by == "year":
        return sorted(gs, key=lambda g: (g.value == UNDATED, g.value))
    if by == "guideline":
        return sorted(gs, key=lambda g: (ORDER.index(g.value) if g.value in ORDER else 99, g.value))
    if by == "category":
        names = category_slugs()
        return sorted(gs, key=lambda g: (names.index(g.value) if g.value in names else 99, g.value))
    return sorted(gs, key=lambda g: (-g.count, g.value))


def from_decisions(decisions: Iterable[Decision], by: str, catalog: Catalog) -> Stats:
    """Group the items of ``decisions`` (pure; the reference the index must agree with)."""
    check_by(by)
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    labels: dict[str, str] = {}
    n = over = 0
    for d in decisions:
        for issue in d.issues:
            o = issue.outcome == "overturned"
            n += 1
            over += o
            for value, label in item_groups(d, issue, by, catalog):
                labels.setdefault(value, label)
                counts[value][0] += 1
                counts[value][1] += o
    groups = [Group(v, labels[v], c, ov) for v, (c, ov) in counts.items()]
    return Stats(by, Group("all", "all items", n, over), order(by, groups))


def from_index(index: object, by: str) -> Stats:
    """The same grouping from the live index (``index`` is a :class:`~.searching.PrecedentIndex`)."""
    from .searching import PrecedentIndex

    assert isinstance(index, PrecedentIndex)
    check_by(by)
    everything = index.all_docs()
    over = index.docset("outcome", "overturned")
    field = {"specialty": "specialty", "guideline": "guideline", "category": "category"}.get(by, by)
    values = index.field_values(field)
    if by == "guideline":
        values = [v for v in values if ":" not in v]
    if by == "category":
        values = [v for v in values if v in index.category_names()]
    groups = []
    covered: set[int] = set()
    for v in values:
        docs = index.docset(field, v)
        if docs:
            covered |= docs
            groups.append(Group(v, index.label(by, v), len(docs), len(docs & over)))
    if by in ("year", "specialty"):
        rest = everything - covered
        if rest:
            value, label = (UNDATED, UNDATED) if by == "year" else (NOT_STATED, "(not stated)")
            groups.append(Group(value, label, len(rest), len(rest & over)))
    return Stats(by, Group("all", "all items", len(everything), len(everything & over)), order(by, groups))
