"""The guideline catalog: ``guidelines/*.yaml`` compiled into frozen reference objects.

The YAML is the single source of guideline titles, chapter spellings, topics, page ranges and the patterns
that recognise them; :mod:`imrkb.citations` uses nothing else. See ``guidelines/README.md``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import CatalogError
from .models import GUIDELINE_IDS

#: The catalog shipped with the project (``<repo>/guidelines``).
DEFAULT_DIR = Path(__file__).resolve().parent.parent / "guidelines"

#: Guideline files, one per guideline id of the data contract, in the order their patterns are tried.
ORDER = GUIDELINE_IDS


def compile_pattern(src: str) -> re.Pattern[str]:
    """Compile a catalog pattern, case-insensitive.

    A literal space matches any whitespace run (line breaks included), ``" ?"`` any or none.
    """
    src = re.sub(r"(?<!\\) \?", r"\\s*", src)
    return re.compile(re.sub(r"(?<!\\) ", r"\\s+", src), re.IGNORECASE)


def slugify(text: str) -> str:
    """A URL/anchor slug: lower case, ``&`` as ``and``, runs of other characters as ``-``."""
    s = text.lower().replace("&", " and ")
    return re.sub(r"[^a-z0-9]+", "-", s).strip("-")


def topic_key(text: str) -> str:
    """Comparison key for topic names: case, ``&``/``and`` and punctuation spacing ignored."""
    s = text.lower().replace("&", " and ")
    return re.sub(r"[^a-z0-9/()]+", " ", s).strip()


@dataclass(frozen=True)
class Topic:
    """A named section or topic of a guideline, with its page range where the guideline is paginated."""

    name: str
    pages: tuple[int, int] | None = None
    aliases: tuple[str, ...] = ()

    @property
    def slug(self) -> str:
        return slugify(self.name)


@dataclass(frozen=True)
class Patterned:
    """Something recognised by patterns, with the examples each pattern must match."""

    patterns: tuple[re.Pattern[str], ...]
    examples: tuple[str, ...]


@dataclass(frozen=True)
class Chapter:
    key: int | str | None
    title: str
    edition: str | None
    match: Patterned
    sections: tuple[Topic, ...] = ()
    keep_match_as_topic: bool = False

    @property
    def slug(self) -> str:
        """``8`` for ACOEM chapter 8, ``general-approaches`` for the null chapter, ODG slugs as they are."""
        return slugify(self.title) if self.key is None else str(self.key)


@dataclass(frozen=True)
class Statement:
    """A stock sentence: ``cite`` is ``none`` (makes a ``none`` citation) or ``skip`` (a marker only)."""

    cite: str
    match: Patterned


@dataclass(frozen=True)
class Guideline:
    id: str
    name: str
    short: str
    program: str
    edition: str | None
    match: Patterned
    chapters: tuple[Chapter, ...] = ()
    topics: tuple[Topic, ...] = ()
    topic_split: str = "catalog"
    filler: tuple[re.Pattern[str], ...] = ()
    statements: tuple[Statement, ...] = ()
    _topic_index: dict[str, Topic] = field(default_factory=dict, compare=False, repr=False)

    def chapter(self, key: int | str | None) -> Chapter | None:
        for c in self.chapters:
            if c.key == key:
                return c
        return None

    def find_topic(self, text: str, chapter: Chapter | None = None) -> Topic | None:
        """The catalog topic named ``text`` (any alias, any case), in ``chapter`` or the guideline."""
        key = topic_key(text)
        for t in chapter.sections if chapter else ():
            if key in {topic_key(t.name), *map(topic_key, t.aliases)}:
                return t
        return self._topic_index.get(key)


@dataclass(frozen=True)
class Catalog:
    guidelines: dict[str, Guideline]

    def __getitem__(self, gid: str) -> Guideline:
        return self.guidelines[gid]

    def __iter__(self) -> Any:
        return iter(self.guidelines.values())


def _patterned(m: dict[str, Any], where: str) -> Patterned:
    try:
        pats = tuple(compile_pattern(p) for p in m.get("patterns") or ())
    except re.error as e:
        raise CatalogError(f"{where}: patterns: bad regular expression: {e}") from e
    return Patterned(pats, tuple(m.get("examples") or ()))


def _topic(m: Any, where: str) -> Topic:
    if isinstance(m, str):
        return Topic(m)
    if not isinstance(m, dict) or "name" not in m:
        raise CatalogError(f"{where}: a topic needs a name, got {m!r}")
    pages = m.get("pages")
    return Topic(
        str(m["name"]), (int(pages[0]), int(pages[1])) if pages else None, tuple(m.get("aliases") or ())
    )


def _guideline(m: dict[str, Any], where: str) -> Guideline:
    for key in ("id", "name", "program"):
        if key not in m:
            raise CatalogError(f"{where}: missing key '{key}'")
    chapters = tuple(
        Chapter(
            key=c.get("key"),
            title=str(c["title"]),
            edition=str(c["edition"])
            if c.get("edition")
            else (str(m["edition"]) if m.get("edition") else None),
            match=_patterned(c, f"{where}: chapters[{i}]"),
            sections=tuple(_topic(t, f"{where}: chapters[{i}].sections") for t in c.get("sections") or ()),
            keep_match_as_topic=bool(c.get("keep_match_as_topic")),
        )
        for i, c in enumerate(m.get("chapters") or ())
    )
    topics = tuple(_topic(t, f"{where}: topics") for t in m.get("topics") or ())
    index: dict[str, Topic] = {}
    for t in topics:
        for name in (t.name, *t.aliases):
            index.setdefault(topic_key(name), t)
    statements = tuple(
        Statement(
            str(s["cite"]), _patterned({"patterns": [s["pattern"]], "examples": s.get("examples")}, where)
        )
        for s in m.get("statements") or ()
    )
    return Guideline(
        id=str(m["id"]),
        name=str(m["name"]),
        short=str(m.get("short") or m["name"]),
        program=str(m["program"]),
        edition=str(m["edition"]) if m.get("edition") else None,
        match=_patterned(m, where),
        chapters=chapters,
        topics=topics,
        topic_split=str(m.get("topic_split") or "catalog"),
        filler=tuple(compile_pattern(p) for p in m.get("filler") or ()),
        statements=statements,
        _topic_index=index,
    )


def load_catalog_from(directory: Path) -> Catalog:
    """Load and compile every ``<id>.yaml`` of :data:`ORDER` in ``directory``."""
    out: dict[str, Guideline] = {}
    for gid in ORDER:
        path = directory / f"{gid}.yaml"
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except FileNotFoundError as e:
            raise CatalogError(f"{path}: guideline file missing") from e
        except yaml.YAMLError as e:
            raise CatalogError(f"{path}: not valid YAML: {e}") from e
        g = _guideline(data, str(path))
        if g.id != gid:
            raise CatalogError(f"{path}: id is '{g.id}', expected '{gid}'")
        out[gid] = g
    return Catalog(out)


@functools.lru_cache(maxsize=4)
def load_catalog(directory: Path | None = None) -> Catalog:
    """The catalog (cached): ``guidelines/`` of this checkout unless ``directory`` is given."""
    return load_catalog_from(directory or DEFAULT_DIR)
