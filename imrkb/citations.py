"""Find and resolve guideline citations in a letter's guideline paragraph, driven by the catalog.

A paragraph ("Claims Administrator guideline: ...", "MAXIMUS guideline: ...") is split into *units*: each
"Decision based on ..." sentence and each stock statement. A unit citing the MTUS is split again at every
guideline title the catalog knows ("... Section(s): Special Studies, and Forearm, Wrist, and Hand Complaints
2004 ..."), a Non-MTUS unit at every ODG chapter. Nothing here raises on messy text: what cannot be resolved
is kept as an ``other`` citation with its text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .catalog import Catalog, Chapter, Guideline, load_catalog
from .models import Citation, PageRange

_DECISION_BASED = re.compile(r"Decision\s+based\s+on\s+", re.I)
_NON_MTUS = re.compile(r"^(?:the\s+)?Non-?\s?MTUS(?:\s+Citations?)?\s*[:,]?\s*", re.I)
_MTUS = re.compile(r"^(?:the\s+)?(?:California\s+)?MTUS\b\s*(?:\(\w+\)\s*)?[:,]?\s*", re.I)
_EDITION_AFTER = re.compile(r"^\s*,?\s*\(?((?:19|20)\d\d)\)?(?!\d)")
_SECTIONS = re.compile(r"Sections?\s*(?:\(s\))?\s*:?\s*", re.I)
_PAGES = re.compile(r"(?:Page\s*\(s\)|Pages?|pgs?\.?|p\.)\s*:?\s*(\d[\d\s,\-\u2013\u2014and&]*)", re.I)
_RANGE = re.compile(r"(\d+)\s*(?:[-\u2013\u2014]|to)\s*(\d+)|(\d+)")
_YEAR = re.compile(r"(?<![\d/])((?:19|20)\d\d)(?![\d/])")
_SUB_SPLIT = re.compile(
    r"\s+and\s+(?=(?:the\s+)?(?:Other\s+Medical\s+Treatment\s+Guideline|Official\s+Disability|ODG\b|ACOEM\b))"
    r"|(?<=[a-z)])\.\s+(?=(?:Official\s+Disability|ODG\b|ACOEM\b|Other\s+Medical))",
    re.I,
)
_EDGE = " \t,;:./-\u2013\u2014|"


def _norm(text: str) -> str:
    return " ".join(text.split())


def _trim(text: str) -> str:
    """Strip separators and a dangling joiner ("..., and") from both ends."""
    s = text.strip(_EDGE)
    s = re.sub(r"(?:[\s,;]+and)+$", "", s, flags=re.I).strip(_EDGE)
    s = re.sub(r"^and\b", "", s, flags=re.I).strip(_EDGE)
    return s


def parse_pages(text: str) -> tuple[PageRange, ...]:
    """``"177-179, 181"`` -> ``((177, 179), (181, 181))``; reversed ranges are put in order."""
    out: list[PageRange] = []
    for m in _RANGE.finditer(text):
        if m.group(3):
            p = int(m.group(3))
            out.append((p, p))
        else:
            a, b = int(m.group(1)), int(m.group(2))
            out.append((min(a, b), max(a, b)))
    return tuple(out)


def split_outside_parens(text: str, seps: str = ",;") -> list[str]:
    """Split at separators that are not inside parentheses; pieces are stripped, empties dropped."""
    pieces, depth, cur = [], 0, []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        if ch in seps and depth == 0:
            pieces.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    pieces.append("".join(cur))
    return [p.strip() for p in pieces if p.strip(" .")]


def split_topics(text: str, guideline: Guideline, chapter: Chapter | None = None) -> list[str]:
    """A ``Section(s):`` list as topic names, catalog names where the catalog knows them.

    Comma pieces are merged into the longest known topic ("TENS, chronic pain (...)"); an unknown piece
    that starts in lower case continues the one before it ("Capsaicin, topical (...)").
    """
    text = _trim(text)
    if not text:
        return []
    if guideline.topic_split == "numbered":
        return [_trim(p) for p in re.split(r",\s+(?=\d+(?:\.\d+)*\.?\s)", text) if _trim(p)]
    pieces = split_outside_parens(text)
    out: list[str] = []
    i = 0
    while i < len(pieces):
        for j in range(min(len(pieces), i + 6), i, -1):
            topic = guideline.find_topic(", ".join(pieces[i:j]), chapter)
            if topic:
                out.append(topic.name)
                i = j
                break
        else:
            piece = pieces[i]
            if out and piece[:1].islower() and i > 0 and not guideline.find_topic(pieces[i - 1], chapter):
                out[-1] = f"{out[-1]}, {piece}"
            else:
                out.append(_trim(piece))
            i += 1
    return [t for t in out if t]


@dataclass(frozen=True)
class _Hit:
    start: int
    end: int
    guideline: Guideline
    chapter: Chapter | None
    edition: str | None


def _best_hits(hits: Iterable[_Hit]) -> list[_Hit]:
    """Non-overlapping hits, earliest first, the longest winning at the same start."""
    out: list[_Hit] = []
    for h in sorted(hits, key=lambda h: (h.start, -(h.end - h.start))):
        if not out or h.start >= out[-1].end:
            out.append(h)
    return out


def _title_hits(text: str, guidelines: Iterable[Guideline], titles: bool = True) -> list[_Hit]:
    """Where the guidelines' chapters (and, with ``titles``, their own titles) are named in ``text``."""
    hits: list[_Hit] = []
    for g in guidelines:
        for ch in g.chapters:
            for p in ch.match.patterns:
                for m in p.finditer(text):
                    hits.append(_Hit(m.start(), m.end(), g, ch, None))
        for p in g.match.patterns if titles else ():
            for m in p.finditer(text):
                ed = m.groupdict().get("edition")
                hits.append(_Hit(m.start(), m.end(), g, None, ed))
    return _best_hits(hits)


def _mtus_part(hit: _Hit, tail: str, written: str) -> Citation:
    g, ch = hit.guideline, hit.chapter
    edition = hit.edition
    m = _EDITION_AFTER.match(tail)
    if m:
        edition = m.group(1)
        tail = tail[m.end() :]
    pages: tuple[PageRange, ...] = ()
    pm = _PAGES.search(tail)
    if pm:
        pages = parse_pages(pm.group(1))
        tail = tail[: pm.start()] + " " + tail[pm.end() :]
    sm = _SECTIONS.search(tail)
    if sm:
        before, topics_text = tail[: sm.start()], tail[sm.end() :]
    else:
        before, topics_text = "", tail
    topics = split_topics(before, g, ch) + split_topics(topics_text, g, ch)
    numeric = [t for t in topics if re.fullmatch(r"\d+(?:\s*-\s*\d+)?", t)]
    if numeric:  # "Section(s): 326" is a page, not a section
        pages = pages + tuple(r for t in numeric for r in parse_pages(t))
        topics = [t for t in topics if t not in numeric]
    if edition is None:
        edition = ch.edition if ch else g.edition
    return Citation(
        guideline=g.id,
        chapter=ch.key if ch else None,
        edition=edition,
        topics=tuple(topics),
        pages=pages,
        text=_trim(written),
    )


_TITLE_CONTEXT = re.compile(
    r"(?:^|[,;.:(]|\b(?:and|the|on|in|of|per|see|MTUS|ACOEM|California|Guidelines?))\s*$", re.I
)


def _mtus(text: str, catalog: Catalog) -> list[Citation]:
    mtus = [g for g in catalog if g.program == "mtus"]
    # a title inside a topic ("... Chronic Opioid Treatment: ...") does not start a new citation
    hits = [h for h in _title_hits(text, mtus) if _TITLE_CONTEXT.search(text[max(0, h.start - 40) : h.start])]
    out: list[Citation] = []
    for k, hit in enumerate(hits):
        end = hits[k + 1].start if k + 1 < len(hits) else len(text)
        out.append(_mtus_part(hit, text[hit.end : end], text[hit.start : end]))
    return out


def _odg(text: str, catalog: Catalog) -> list[Citation]:
    g = catalog["odg"]
    s = text
    for p in g.match.patterns:
        s = p.sub(" | ", s)
    edition = None
    ym = _YEAR.search(s)
    if ym and not re.search(r"updated", s[max(0, ym.start() - 12) : ym.start()], re.I):
        edition = ym.group(1)
        s = s[: ym.start()] + " " + s[ym.end() :]
    hits = _title_hits(s, [g], titles=False)
    merged: list[_Hit] = []
    for h in hits:  # a chapter named again inside a topic ("Surgery for shoulder ...") is not a new citation
        if not any(x.chapter is h.chapter for x in merged):
            merged.append(h)
    written = _trim(text)
    if not merged:
        return [Citation("odg", None, edition, tuple(_odg_topics(s, g.filler)), (), written)]
    out = []
    for k, hit in enumerate(merged):
        end = merged[k + 1].start if k + 1 < len(merged) else len(s)
        topic_text = s[hit.end : end]
        if k == 0:
            topic_text = s[: hit.start] + " ; " + topic_text
        topics = _odg_topics(topic_text, g.filler)
        assert hit.chapter is not None
        if hit.chapter.keep_match_as_topic:
            matched = _trim(s[hit.start : hit.end])
            if matched.lower() != hit.chapter.title.lower():
                topics.insert(0, matched)
        out.append(Citation("odg", hit.chapter.key, edition, tuple(topics), (), written))
    return out


def _odg_topics(text: str, filler: Iterable[re.Pattern[str]]) -> list[str]:
    s = re.sub(r"\s*\|\s*", " ; ", text)
    for p in filler:
        s = p.sub(" ", s)
    s = s.replace("/", " ; ") if re.search(r"\w\s*/\s+\w", s) else s
    topics = []
    for piece in split_outside_parens(s):
        t = _trim(piece)
        while t.startswith("(") and t.endswith(")") and _balanced(t[1:-1]):
            t = _trim(t[1:-1])
        t = re.sub(r"\s+Topic$", "", t, flags=re.I)
        if t and not re.fullmatch(r"(?:and|the|guidelines?)", t, re.I):
            topics.append(t)
    return topics


def _balanced(s: str) -> bool:
    depth = 0
    for ch in s:
        depth += ch == "("
        depth -= ch == ")"
        if depth < 0:
            return False
    return depth == 0


def _acoem(text: str, catalog: Catalog) -> Citation:
    g = catalog["acoem"]
    hits = _title_hits(text, [g], titles=False)
    pm = _PAGES.search(text)
    return Citation(
        "acoem",
        hits[0].chapter.key if hits and hits[0].chapter else None,
        None,
        (),
        parse_pages(pm.group(1)) if pm else (),
        _trim(text),
    )


def _non_mtus(text: str, catalog: Catalog) -> list[Citation]:
    out: list[Citation] = []
    odg = catalog["odg"]
    for part in _SUB_SPLIT.split(text):
        part = _trim(part)
        if not part:
            continue
        if any(p.search(part) for p in odg.match.patterns) or _starts_with_odg_chapter(part, odg):
            out.extend(_odg(part, catalog))
        elif any(p.search(part) for p in catalog["acoem"].match.patterns):
            out.append(_acoem(part, catalog))
        else:
            out.append(Citation("other", text=part))
    return out


def _starts_with_odg_chapter(text: str, odg: Guideline) -> bool:
    return any(p.match(text) for ch in odg.chapters for p in ch.match.patterns)


def _units(text: str, catalog: Catalog) -> Iterator[tuple[str, str]]:
    """(kind, text) per unit; kind: ``none``, ``skip``, ``based`` (after "Decision based on"), ``prose``."""
    starts: list[tuple[int, int, str]] = [
        (m.start(), m.end(), "based") for m in _DECISION_BASED.finditer(text)
    ]
    for st in catalog["none"].statements:
        for p in st.match.patterns:
            starts.extend((m.start(), m.end(), st.cite) for m in p.finditer(text))
    starts.sort()
    pos = 0
    if starts and _trim(text[: starts[0][0]]):
        yield "prose", text[: starts[0][0]]
    elif not starts and _trim(text):
        yield "prose", text
    for k, (a, b, kind) in enumerate(starts):
        if a < pos:
            continue
        nxt = next((s[0] for s in starts[k + 1 :] if s[0] >= b), len(text))
        if kind == "based":
            yield kind, text[b:nxt]
        else:
            yield kind, text[a:b]
            if _trim(text[b:nxt]):
                yield "prose", text[b:nxt]
        pos = nxt


def _names_non_mtus_source(text: str, cat: Catalog) -> bool:
    return any(p.search(text) for g in cat if g.program == "non-mtus" for p in g.match.patterns)


def extract_citations(paragraph: str, catalog: Catalog | None = None) -> list[Citation]:
    """Every citation in one guideline paragraph, in the order written."""
    cat = catalog or load_catalog()
    out: list[Citation] = []
    for kind, unit in _units(_norm(paragraph), cat):
        unit = unit.strip()
        if kind == "none":
            out.append(Citation("none", text=_trim(unit)))
            continue
        if kind == "skip":
            continue
        non_mtus = _NON_MTUS.match(unit)
        if non_mtus:
            out.extend(_non_mtus(unit[non_mtus.end() :], cat))
            continue
        mtus = _MTUS.match(unit)
        body = unit[mtus.end() :] if mtus else unit
        found = _mtus(body, cat)
        if found:
            out.extend(found)
        elif kind == "based" or _names_non_mtus_source(body, cat):
            out.extend(_non_mtus(body, cat))
    return out
