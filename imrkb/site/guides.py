"""Where a citation lands on the guideline pages: a *unit* (one page) and a *group* (an anchor on it).

Units follow the catalog: one page per chapter for guidelines with chapters (MTUS ACOEM, ODG, non-MTUS
ACOEM), one page per topic for guidelines organised by topic (Chronic Pain, Acupuncture, Postsurgical,
Opioids, Formulary), one page for ``none`` and ``other``. Within a unit, a citation is grouped by each
topic it names and each page range it cites; with neither, it goes to the ``whole`` group.
A citation the catalog cannot place (unknown guideline, unknown chapter, unknown topic of a
topic-organised guideline) is *unresolved*: it is listed on its own page, never dropped.
Pure functions over :mod:`imrkb.catalog` objects; no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..catalog import Catalog, Chapter, Guideline, Topic
from ..models import Citation
from .html import slug

#: Unit slug for pages cited in a topic-organised guideline without a topic the catalog can place.
NO_TOPIC = "cited-without-topic"


@dataclass(frozen=True, order=True)
class UnitKey:
    """One guideline page: ``guidelines/<guideline>/<slug>/`` (``slug`` empty for a one-page family)."""

    guideline: str
    slug: str

    @property
    def url(self) -> str:
        return f"guidelines/{self.guideline}/{self.slug}/" if self.slug else f"guidelines/{self.guideline}/"


@dataclass(frozen=True)
class Group:
    """An anchor on a unit page: a topic, a page range, or the unit as a whole."""

    slug: str
    label: str
    sort: tuple[int, int, str]
    known: bool = True

    @property
    def anchor(self) -> str:
        return f"g-{self.slug}"


@dataclass(frozen=True)
class Placement:
    unit: UnitKey
    group: Group


WHOLE = Group("whole", "Cited as a whole (no topic or page)", (3, 0, ""))
UNRESOLVED_URL = "guidelines/unresolved/"


def _pages_group(a: int, b: int, sections: tuple[Topic, ...]) -> Group:
    label = f"Page {a}" if a == b else f"Pages {a}–{b}"
    names = [t.name for t in sections if t.pages and t.pages[0] <= b and a <= t.pages[1]]
    if names:
        label += f" ({', '.join(names)})"
    return Group(f"p-{a}-{b}" if a != b else f"p-{a}", label, (2, a, f"{b:06d}"))


def _topic_group(name: str, topic: Topic | None) -> Group:
    if topic is not None:
        return Group(f"t-{slug(topic.name)}", topic.name, (1, 0, topic.name.lower()))
    return Group(f"t-{slug(name)}", name, (1, 0, name.lower()), known=False)


def _groups(c: Citation, g: Guideline, chapter: Chapter | None, with_topics: bool) -> list[Group]:
    out: list[Group] = []
    sections = chapter.sections if chapter else g.topics
    if with_topics:
        for name in c.topics:
            out.append(_topic_group(name, g.find_topic(name, chapter)))
    for a, b in c.pages:
        out.append(_pages_group(a, b, sections))
    return out or [WHOLE]


def place(c: Citation, catalog: Catalog) -> list[Placement] | None:
    """Where citation ``c`` is listed, or ``None`` when the catalog cannot place it (unresolved)."""
    g = catalog.guidelines.get(c.guideline)
    if g is None:
        return None
    if g.chapters:
        chapter = g.chapter(c.chapter)
        if chapter is None:
            return None
        unit = UnitKey(g.id, chapter.slug)
        return [Placement(unit, grp) for grp in _groups(c, g, chapter, with_topics=True)]
    if not g.topics:
        unit = UnitKey(g.id, "")
        return [Placement(unit, grp) for grp in _groups(c, g, None, with_topics=True)]
    # A topic-organised guideline: one page per catalog topic.
    if c.topics:
        topics = [g.find_topic(name) for name in c.topics]
        if any(t is None for t in topics):
            return None
        pages_groups = [_pages_group(a, b, ()) for a, b in c.pages] or [WHOLE]
        return [Placement(UnitKey(g.id, slug(t.name)), grp) for t in topics if t for grp in pages_groups]
    out: list[Placement] = []
    for a, b in c.pages:
        hits = [t for t in g.topics if t.pages and t.pages[0] <= b and a <= t.pages[1]]
        for t in hits or [None]:
            unit = UnitKey(g.id, slug(t.name) if t else NO_TOPIC)
            out.append(Placement(unit, _pages_group(a, b, ())))
    return out or [Placement(UnitKey(g.id, NO_TOPIC), WHOLE)]


@dataclass(frozen=True)
class UnitInfo:
    """Display data of a unit page, from the catalog."""

    key: UnitKey
    title: str
    family: str
    order: int


def unit_info(key: UnitKey, catalog: Catalog) -> UnitInfo:
    """Title and catalog order of a unit (unknown keys get a readable fallback); memoised per catalog."""
    memo = _UNIT_INFO.setdefault(id(catalog), (catalog, {}))[1]
    info = memo.get(key)
    if info is None:
        info = memo[key] = _unit_info(key, catalog)
    return info


#: ``id(catalog) -> (catalog, {key: info})``: the catalog is kept with its memo, so its id stays its own.
_UNIT_INFO: dict[int, tuple[Catalog, dict[UnitKey, UnitInfo]]] = {}


def _unit_info(key: UnitKey, catalog: Catalog) -> UnitInfo:
    g = catalog.guidelines.get(key.guideline)
    family = g.short if g else key.guideline
    if g is None or not key.slug:
        return UnitInfo(key, g.name if g else key.guideline, family, 0)
    for i, ch in enumerate(g.chapters):
        if ch.slug == key.slug:
            prefix = f"Chapter {ch.key}: " if isinstance(ch.key, int) else ""
            return UnitInfo(key, f"{prefix}{ch.title}", family, i)
    for i, t in enumerate(g.topics):
        if slug(t.name) == key.slug:
            return UnitInfo(key, t.name, family, i)
    if key.slug == NO_TOPIC:
        return UnitInfo(key, "Pages cited without a topic", family, 10_000)
    return UnitInfo(key, key.slug, family, 10_001)


def all_units(catalog: Catalog) -> list[UnitInfo]:
    """Every unit the catalog defines (so guideline pages exist even when nothing cites them yet)."""
    out: list[UnitInfo] = []
    for g in catalog:
        if g.chapters:
            keys = [UnitKey(g.id, ch.slug) for ch in g.chapters]
        elif g.topics:
            keys = [UnitKey(g.id, slug(t.name)) for t in g.topics]
        else:
            keys = [UnitKey(g.id, "")]
        out.extend(unit_info(k, catalog) for k in keys)
    return out
