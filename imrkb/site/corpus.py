"""One streaming pass over the records: what each decision page needs, and the light rows and
counts every other page is made of. Work and memory are linear in the corpus.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .. import pii
from ..catalog import Catalog
from ..categories import classify
from ..errors import ImrkbError
from ..models import Citation, Decision
from ..records import read_record
from ..takedown import load_ledger
from .guides import UNRESOLVED_URL, Group, UnitKey, place, unit_info
from .html import slug
from .recordcache import RecordCache
from .render import CiteTarget, GroupView, UnitLayout, layout_unit, paged_url
from .rows import DecisionRow, ItemRow, decision_url, newest_first_key, short

SIDES = (("reviewer", "reviewer_citations"), ("claims administrator", "claims_administrator_citations"))


def record_paths(root: Path) -> list[Path]:
    """Every ``decisions/<year>/<id>.yaml`` under ``root``, in a stable order."""
    base = root / "decisions"
    if not base.is_dir():
        raise ImrkbError(f"{base}: no decisions folder (is --root the corpus root?)")
    return sorted(p for p in base.glob("*/*.yaml") if not p.name.startswith("."))


def read_one(path: Path) -> Decision:
    """One record; one that cannot be read stops the build naming its file."""
    try:
        return read_record(path)
    except (KeyError, ValueError, TypeError, AttributeError, yaml.YAMLError) as e:
        what = " ".join(str(e).split())
        raise ImrkbError(
            f"{path}: cannot read the record ({type(e).__name__}: {what}); run `imrkb validate` for details"
        ) from None


def read_cached(
    path: Path, rel: str, st: os.stat_result, cache: RecordCache
) -> tuple[Decision, list[str]]:
    """The record at ``path`` (``rel`` to the root, stat ``st`` taken before reading: a write after it
    changes the stamp) and its blocking personal-data findings, from ``cache`` when unchanged, else read,
    scanned and cached (a cached entry always holds the findings, whoever asks next)."""
    hit = cache.get(rel, st)
    if hit is not None:
        return hit
    d = read_one(path)
    found = pii.blocking(d, rel)
    cache.put(rel, st, d, found)
    return d, found


def iter_records(root: Path) -> Iterator[tuple[Path, Decision]]:
    """Read records one at a time; a record that cannot be read stops the build naming its file.

    Records of decisions in the takedown ledger (``removed/``, see :mod:`imrkb.takedown`) are skipped,
    should one come back (the letter ingested again)."""
    for path, d, _ in iter_checked(root):
        yield path, d


def iter_checked(
    root: Path, cache: RecordCache | None = None, *, scan: bool = False
) -> Iterator[tuple[Path, Decision, list[str]]]:
    """As :func:`iter_records`, with each record's blocking personal-data findings when ``scan`` (else
    ``[]``); parsed records and findings come from ``cache`` for unchanged files (see
    :mod:`imrkb.site.recordcache`)."""
    removed = load_ledger(root)
    for path in record_paths(root):
        if path.stem in removed:
            continue
        rel = path.relative_to(root).as_posix()
        if cache is None:
            d = read_one(path)
            found = pii.blocking(d, rel) if scan else []
        else:
            d, found = read_cached(path, rel, path.stat(), cache)
        if d.id not in removed:
            yield path, d, (found if scan else [])


#: What a decision contributes to the list pages, as plain tuples (cheap to keep between builds):
#: its :class:`DecisionRow` fields, each item's :class:`ItemRow` fields, and each citation as
#: ``(item number - 1, side, placements or None, guideline, text)``, a placement being
#: ``(guideline, unit slug, group slug, group label, group sort, group known)``.
Light = tuple[tuple, tuple[tuple, ...], tuple[tuple, ...]]


def light(d: Decision, catalog: Catalog) -> Light:
    """The :data:`Light` form of ``d``: everything the list, guideline and statistics pages take from it."""
    url = decision_url(d)
    date = d.dates.decision.isoformat() if d.dates.decision else ""
    items = []
    cites = []
    for n, issue in enumerate(d.issues):
        cat, sub = classify(issue.item)
        items.append((d.id, url, date, n + 1, short(issue.item), issue.outcome, cat, sub, d.synthetic))
        for side, attr in SIDES:
            for c in getattr(issue, attr):
                placements = place(c, catalog)
                placed = None
                if placements is not None:
                    placed = tuple((p.unit.guideline, p.unit.slug, *_fields(p.group)) for p in placements)
                cites.append((n, side, placed, c.guideline, c.text))
    over = sum(1 for i in d.issues if i.outcome == "overturned")
    first = short(d.issues[0].item, 120) if d.issues else ""
    drow = (d.id, url, date, len(d.issues), over, tuple(d.reviewer.specialties), d.synthetic, first)
    return drow, tuple(items), tuple(cites)


def _fields(g: Group) -> tuple[str, str, tuple[int, int, str], bool]:
    return g.slug, g.label, g.sort, g.known


def listing_keys(lt: Light) -> set[str]:
    """The paginated lists a decision appears on (the keys of :func:`imrkb.site.pages.listings`)."""
    drow, items, cites = lt
    keys = {f"year/{slug(drow[1].split('/')[1])}"}
    keys.update(f"specialty/{slug(s)}" for s in drow[5])
    for t in items:
        keys.add(f"outcome/{slug(t[5])}")
        keys.add(f"category/{t[6]}")
        if t[7]:
            keys.add(f"sub/{t[6]}/{t[7]}")
    for _n, _side, placed, _g, _t in cites:
        if placed is None:
            keys.add("unresolved")
        else:
            keys.update(f"unit/{p[0]}/{p[1]}" for p in placed)
    return keys


@dataclass
class GroupAgg:
    group: Group
    rows: list[tuple[ItemRow, str]] = field(default_factory=list)
    seen: dict[tuple[str, int], int] = field(default_factory=dict)

    def add(self, row: ItemRow, side: str) -> None:
        key = (row.decision_id, row.index)
        if key in self.seen:  # cited by both sides, or twice: one row, both sides named
            i = self.seen[key]
            r, s = self.rows[i]
            if side not in s.split(" and "):
                self.rows[i] = (r, f"{s} and {side}")
            return
        self.seen[key] = len(self.rows)
        self.rows.append((row, side))


@dataclass
class Corpus:
    """Everything the list, guideline, statistics and home pages need."""

    catalog: Catalog
    decisions: list[DecisionRow] = field(default_factory=list)
    items: list[ItemRow] = field(default_factory=list)
    by_specialty: dict[str, list[DecisionRow]] = field(default_factory=lambda: defaultdict(list))
    units: dict[UnitKey, dict[str, GroupAgg]] = field(default_factory=lambda: defaultdict(dict))
    unresolved: list[tuple[ItemRow, str, str, str]] = field(default_factory=list)
    seen_ids: dict[str, Path] = field(default_factory=dict)
    layouts: dict[UnitKey, UnitLayout] = field(default_factory=dict)
    row_page: dict[tuple[UnitKey, str, str, int], int] = field(default_factory=dict)
    _units: dict[tuple[str, str], UnitKey] = field(default_factory=dict, repr=False)

    # ---------------------------------------------------------------- placing citations

    def targets(self, decision_id: str, index: int, c: Citation) -> list[CiteTarget]:
        """Links for citation ``c`` of item ``index`` of a decision: the guideline page (the page of a
        paginated one where this item is listed) and the group's anchor; or the unresolved page.
        Call after :meth:`finish`."""
        placements = place(c, self.catalog)
        if placements is None:
            return [CiteTarget(UNRESOLVED_URL, "not in the catalog (listed with the unresolved citations)")]
        out = []
        for p in placements:
            info = unit_info(p.unit, self.catalog)
            label = f"{info.family} › {info.title}" if p.unit.slug else info.family
            if p.group.slug != "whole":
                label += f" › {p.group.label}"
            page = self.row_page.get((p.unit, p.group.slug, decision_id, index), 1)
            out.append(CiteTarget(f"{paged_url(p.unit.url, page)}#{p.group.anchor}", label))
        return out

    def finish(self) -> None:
        """Sort every guideline group newest first and lay the guideline pages out (after all :meth:`add`)."""
        for key, aggs in self.units.items():
            views = []
            for agg in sorted(aggs.values(), key=lambda a: a.group.sort):
                rows = sorted(agg.rows, key=lambda rs: newest_first_key(rs[0]))
                views.append(
                    GroupView(agg.group.anchor, agg.group.slug, agg.group.label, agg.group.known, rows)
                )
            layout = layout_unit(views)
            self.layouts[key] = layout
            for page_no, page in enumerate(layout.pages, start=1):
                for g, rows, _ in page:
                    for r, _side in rows:
                        self.row_page[(key, g.slug, r.decision_id, r.index)] = page_no

    # ---------------------------------------------------------------- adding one record

    def describe(self, d: Decision) -> tuple[str, list[tuple[str, str | None]], dict[str, list[str]]]:
        """What a decision page needs besides the record: its URL, item categories and Pagefind filters."""
        cats = [classify(i.item) for i in d.issues]
        guidelines = set()
        for issue in d.issues:
            for c in (*issue.reviewer_citations, *issue.claims_administrator_citations):
                g = self.catalog.guidelines.get(c.guideline)
                guidelines.add(g.short if g else c.guideline)
        filters = {
            "outcome": sorted({i.outcome for i in d.issues}),
            "year": [d.year_folder],
            "guideline": sorted(guidelines),
            "category": sorted({c for c, _ in cats}),
            "specialty": sorted(set(d.reviewer.specialties)),
        }
        if d.synthetic:
            filters["record"] = ["synthetic"]
        return decision_url(d), cats, filters

    def add(self, path: Path, d: Decision) -> None:
        """Record ``d``'s rows (first pass; decision pages are rendered after :meth:`finish`)."""
        self.add_light(path, light(d, self.catalog))

    def add_light(self, path: Path | str, lt: Light) -> None:
        """Record the rows of a decision from its :func:`light` form (a rebuild keeps these, not records)."""
        drow_t, items_t, cites = lt
        if drow_t[0] in self.seen_ids:
            raise ImrkbError(f"{path}: duplicate id {drow_t[0]} (also in {self.seen_ids[drow_t[0]]})")
        self.seen_ids[drow_t[0]] = Path(path)
        rows = [ItemRow(*t) for t in items_t]
        self.items.extend(rows)
        for n, side, placed, guideline, text in cites:
            row = rows[n]
            if placed is None:
                self.unresolved.append((row, side, guideline, text))
                continue
            for g, u, gslug, label, sort, known in placed:
                groups = self.units[self._unit(g, u)]
                agg = groups.get(gslug)
                if agg is None:
                    agg = groups[gslug] = GroupAgg(Group(gslug, label, sort, known))
                agg.add(row, side)
        drow = DecisionRow(*drow_t)
        self.decisions.append(drow)
        for s in set(drow.specialties):
            self.by_specialty[s].append(drow)

    def _unit(self, guideline: str, unit_slug: str) -> UnitKey:
        key = (guideline, unit_slug)
        unit = self._units.get(key)
        if unit is None:
            unit = self._units[key] = UnitKey(guideline, unit_slug)
        return unit

    def page_numbers(self, lt: Light) -> tuple[int, ...]:
        """The guideline page number of each placement of a decision: what its citation links depend
        on besides the record (a rebuild re-renders a decision page when these move). After :meth:`finish`."""
        did = lt[0][0]
        out = []
        for n, _side, placed, _g, _t in lt[2]:
            for g, u, gslug, *_ in placed or ():
                out.append(self.row_page.get((self._unit(g, u), gslug, did, n + 1), 1))
        return tuple(out)

    # ---------------------------------------------------------------- summaries

    def outcome_counts(self) -> Counter[str]:
        return Counter(r.outcome for r in self.items)


def load(root: Path, catalog: Catalog) -> Corpus:
    """Aggregate a corpus without rendering (used by tests and exports)."""
    corpus = Corpus(catalog)
    for path, d in iter_records(root):
        corpus.add(path, d)
    corpus.finish()
    return corpus
