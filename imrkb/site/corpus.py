"""One streaming pass over the records: what each decision page needs, and the light rows and
counts every other page is made of. Work and memory are linear in the corpus.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..catalog import Catalog
from ..categories import classify
from ..errors import ImrkbError
from ..models import Citation, Decision
from ..records import read_record
from .guides import UNRESOLVED_URL, Group, Placement, UnitKey, place, unit_info
from .render import CiteTarget
from .rows import DecisionRow, ItemRow, decision_url, short

SIDES = (("reviewer", "reviewer_citations"), ("claims administrator", "claims_administrator_citations"))


def record_paths(root: Path) -> list[Path]:
    """Every ``decisions/<year>/<id>.yaml`` under ``root``, in a stable order."""
    base = root / "decisions"
    if not base.is_dir():
        raise ImrkbError(f"{base}: no decisions folder (is --root the corpus root?)")
    return sorted(p for p in base.glob("*/*.yaml") if not p.name.startswith("."))


def iter_records(root: Path) -> Iterator[tuple[Path, Decision]]:
    """Read records one at a time; a record that cannot be read stops the build naming its file."""
    for path in record_paths(root):
        try:
            yield path, read_record(path)
        except (KeyError, ValueError, TypeError, AttributeError) as e:
            raise ImrkbError(
                f"{path}: cannot read the record ({type(e).__name__}: {e}); run `imrkb validate` for details"
            ) from None


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

    # ---------------------------------------------------------------- placing citations

    def targets(self, c: Citation) -> list[CiteTarget]:
        """Links for a citation: its guideline page and anchor, or the unresolved page."""
        placements = place(c, self.catalog)
        if placements is None:
            return [CiteTarget(UNRESOLVED_URL, "not in the catalog (listed with the unresolved citations)")]
        out = []
        for p in placements:
            info = unit_info(p.unit, self.catalog)
            label = f"{info.family} › {info.title}" if p.unit.slug else info.family
            if p.group.slug != "whole":
                label += f" › {p.group.label}"
            out.append(CiteTarget(f"{p.unit.url}#{p.group.anchor}", label))
        return out

    # ---------------------------------------------------------------- adding one record

    def add(self, path: Path, d: Decision) -> tuple[str, list[tuple[str, str | None]], dict[str, list[str]]]:
        """Record ``d``'s rows; return its page URL, item categories and Pagefind filters."""
        if d.id in self.seen_ids:
            raise ImrkbError(f"{path}: duplicate id {d.id} (also in {self.seen_ids[d.id]})")
        self.seen_ids[d.id] = path
        url = decision_url(d)
        date = d.dates.decision.isoformat() if d.dates.decision else ""
        cats = [classify(i.item) for i in d.issues]
        guidelines: set[str] = set()
        for n, (issue, (cat, sub)) in enumerate(zip(d.issues, cats, strict=True), start=1):
            row = ItemRow(d.id, url, date, n, short(issue.item), issue.outcome, cat, sub, d.synthetic)
            self.items.append(row)
            for side, attr in SIDES:
                for c in getattr(issue, attr):
                    g = self.catalog.guidelines.get(c.guideline)
                    guidelines.add(g.short if g else c.guideline)
                    self._place(row, side, c)
        over = sum(1 for i in d.issues if i.outcome == "overturned")
        drow = DecisionRow(
            d.id,
            url,
            date,
            len(d.issues),
            over,
            d.reviewer.specialties,
            d.synthetic,
            short(d.issues[0].item, 120) if d.issues else "",
        )
        self.decisions.append(drow)
        for s in set(d.reviewer.specialties):
            self.by_specialty[s].append(drow)
        filters = {
            "outcome": sorted({i.outcome for i in d.issues}),
            "year": [d.year_folder],
            "guideline": sorted(guidelines),
            "category": sorted({c for c, _ in cats}),
            "specialty": sorted(set(d.reviewer.specialties)),
        }
        if d.synthetic:
            filters["record"] = ["synthetic"]
        return url, cats, filters

    def _place(self, row: ItemRow, side: str, c: Citation) -> None:
        placements: list[Placement] | None = place(c, self.catalog)
        if placements is None:
            self.unresolved.append((row, side, c.guideline, c.text))
            return
        for p in placements:
            groups = self.units[p.unit]
            agg = groups.get(p.group.slug)
            if agg is None:
                agg = groups[p.group.slug] = GroupAgg(p.group)
            agg.add(row, side)

    # ---------------------------------------------------------------- summaries

    def outcome_counts(self) -> Counter[str]:
        return Counter(r.outcome for r in self.items)


def load(root: Path, catalog: Catalog) -> Corpus:
    """Aggregate a corpus without rendering (used by tests and exports)."""
    corpus = Corpus(catalog)
    for path, d in iter_records(root):
        corpus.add(path, d)
    return corpus
