"""Citations for synthetic letters, built from the guideline catalog (``guidelines/*.yaml``).

A *reference* from the vocabulary (``"cpmtg:Topical analgesics"``, ``"acoem:Special Studies"``,
``"odg:MRIs (magnetic resonance imaging)"``) becomes a :class:`Part`: the words the letter writes and the
:class:`~imrkb.models.Citation` a correct parser reads back from them. Titles, chapter names, editions,
topic names and page ranges all come from the catalog; only the ways of *writing* them (which ODG chapter
spelling, "Section(s):" or "Page(s):") are chosen here.

The expected ``Citation.text`` follows :mod:`imrkb.citations`: the citation as written, whitespace
normalised, without the leading "Decision based on", "MTUS" or "Non-MTUS Citation" and without the final
period.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from ..catalog import Catalog, Guideline, Topic, compile_pattern, load_catalog
from ..errors import CatalogError
from ..models import Citation

#: Vocabulary prefixes and the catalog guideline each one names.
PREFIX_GUIDELINE = {
    "acoem": "mtus-acoem",
    "acoem-general": "mtus-acoem",
    "cpmtg": "mtus-cpmtg",
    "opioids": "mtus-opioids",
    "acupuncture": "mtus-acupuncture",
    "postsurgical": "mtus-postsurgical",
    "odg": "odg",
    "acoem-3rd": "acoem",
    "other": "other",
}

#: The "Section(s):" form names a guideline by a shorter title than the catalog's full name.
SECTION_TITLES = {
    "mtus-cpmtg": ("Chronic Pain Medical Treatment",),
    "mtus-opioids": ("Opioids Treatment", "Opioid Treatment"),
    "mtus-acupuncture": ("Acupuncture Treatment",),
    "mtus-postsurgical": ("Postsurgical Treatment",),
}

#: The older "Page(s):" form names the guideline by its full title.
PAGE_TITLES = {
    "mtus-cpmtg": ("Chronic Pain Medical Treatment Guidelines",),
    "mtus-opioids": ("Opioids Treatment Guidelines",),
    "mtus-acupuncture": ("Acupuncture Medical Treatment Guidelines",),
    "mtus-postsurgical": ("Postsurgical Treatment Guidelines",),
}

#: Ways of naming ODG itself before the chapter.
ODG_NAMES = (
    "Official Disability Guidelines (ODG)",
    "Official Disability Guidelines (ODG),",
    "Official Disability Guidelines,",
    "ODG",
)

#: The ODG topic that letters also cite inverted, as "ODG MRI shoulder".
INVERTIBLE = "MRIs (magnetic resonance imaging)"

#: How the body-part regions map to the Postsurgical Treatment Guidelines' sections.
POSTSURGICAL_SECTION = {
    "shoulder": "Shoulder",
    "knee": "Knee",
    "wrist": "Forearm, Wrist, & Hand",
    "elbow": "Elbow & Upper Arm",
    "low_back": "Low Back",
    "neck": "Neck & Upper Back",
    "ankle": "Ankle & Foot",
}


@dataclass(frozen=True)
class Part:
    """One citation as the letter writes it (``written``, no "Decision based on") and as a record holds it."""

    written: str
    citation: Citation
    mtus: bool


@dataclass(frozen=True)
class Ref:
    """A parsed vocabulary reference: ``prefix[:chapter/]detail``."""

    prefix: str
    chapter: str | None
    detail: str | None


def parse_ref(ref: str) -> Ref:
    prefix, _, rest = ref.partition(":")
    chapter: str | None = None
    if prefix.startswith("acoem@") and prefix[6:].isdigit():  # "acoem@11:Special Studies": a fixed chapter
        prefix, chapter = "acoem", prefix[6:]
    if prefix not in PREFIX_GUIDELINE:
        raise CatalogError(f"synth vocabulary: unknown citation reference {ref!r}")
    if prefix == "odg" and "/" in rest and not rest.startswith("("):
        head, _, tail = rest.partition("/")
        if head and head.replace("-", "").isalpha() and head.islower():
            chapter, rest = head, tail
    return Ref(prefix, chapter, rest or None)


class Citer:
    """Resolves vocabulary references against the catalog and writes citations in either form."""

    def __init__(
        self,
        odg_spellings: dict[str, list[str]],
        acoem_pages: dict[int, list[list[int]]],
        catalog: Catalog | None = None,
        odg_inverted: dict[str, str] | None = None,
    ) -> None:
        self.catalog = catalog or load_catalog()
        self.acoem = self.catalog["mtus-acoem"]
        self.cpmtg = self.catalog["mtus-cpmtg"]
        self.odg = self.catalog["odg"]
        self.acoem_pages = {int(k): [tuple(r) for r in v] for k, v in acoem_pages.items()}
        self.odg_spellings = self._check_spellings(odg_spellings)
        self.odg_inverted = dict(odg_inverted or {})
        self._check_spellings({slug: [word] for slug, word in self.odg_inverted.items()})

    # -- checks -----------------------------------------------------------------------------------------

    def _check_spellings(self, spellings: dict[str, list[str]]) -> dict[str, tuple[str, ...]]:
        """Every ODG chapter spelling must be recognised by that chapter's catalog patterns."""
        filler = [p for p in self.odg.filler]
        out: dict[str, tuple[str, ...]] = {}
        for slug, names in spellings.items():
            chapter = self.odg.chapter(slug)
            if chapter is None:
                raise CatalogError(f"synth vocabulary: odg chapter {slug!r} is not in guidelines/odg.yaml")
            for name in names:
                if not any(_covers(p, name, filler) for p in chapter.match.patterns):
                    raise CatalogError(
                        f"synth vocabulary: {name!r} is not an ODG {slug} spelling the catalog knows"
                    )
            out[slug] = tuple(names)
        return out

    def check(self, ref: str, region_chapter: int | None = 12, region_odg: str = "low-back") -> None:
        """Raise :class:`CatalogError` when ``ref`` names something the catalog does not hold."""
        r = parse_ref(ref)
        if r.prefix in ("cpmtg", "opioids") and r.detail:
            self._topic(self.catalog[PREFIX_GUIDELINE[r.prefix]], r.detail)
        elif r.prefix == "acoem" and (r.chapter or (r.detail and region_chapter is not None)):
            key = int(r.chapter) if r.chapter else region_chapter
            chapter = self.acoem.chapter(key)
            if chapter is None:
                raise CatalogError(f"synth vocabulary: ACOEM chapter {key!r} is not in the catalog")
            names = {t.name for t in chapter.sections}
            if r.detail and r.detail not in names:
                raise CatalogError(f"synth vocabulary: ACOEM section {r.detail!r} is not in the catalog")
        elif r.prefix == "acoem-general":
            general = self.acoem.chapter(None)
            if general is None or r.detail not in {t.name for t in general.sections}:
                raise CatalogError(
                    f"synth vocabulary: General Approaches section {r.detail!r} is not in the catalog"
                )
        elif r.prefix == "odg":
            slug = r.chapter or region_odg
            if slug not in self.odg_spellings:
                raise CatalogError(f"synth vocabulary: no spellings for ODG chapter {slug!r}")
            chapter = self.odg.chapter(slug)
            named = chapter is not None and chapter.keep_match_as_topic
            if (
                r.detail
                and not named
                and any(p.search(r.detail) for ch in self.odg.chapters for p in ch.match.patterns)
            ):
                raise CatalogError(f"synth vocabulary: ODG topic {r.detail!r} contains a chapter name")

    def _topic(self, g: Guideline, name: str) -> Topic:
        if g.topic_split == "numbered":
            for t in g.topics:
                if t.name.startswith(name):
                    return t
        else:
            t = g.find_topic(name)
            if t is not None and t.name == name:
                return t
        raise CatalogError(f"synth vocabulary: {g.id} topic {name!r} is not in the catalog")

    # -- writing ----------------------------------------------------------------------------------------

    def parts(
        self,
        refs: list[str],
        rng: random.Random,
        *,
        form: str,
        region: dict[str, object],
        region_key: str,
        reviewer: bool,
    ) -> list[Part]:
        """The citations one option of the vocabulary writes, merged per guideline chapter."""
        merged: dict[tuple[str, object], list[Ref]] = {}
        for ref in refs:
            r = parse_ref(ref)
            default = {"odg": region["odg"], "acoem": region["acoem_chapter"]}.get(r.prefix)
            key: tuple[str, object] = (r.prefix, r.chapter or default)
            if r.prefix == "acoem" and r.chapter and int(r.chapter) == region["acoem_chapter"]:
                key = (r.prefix, region["acoem_chapter"])  # the region's own chapter: merge the sections
            merged.setdefault(key, []).append(r)
        out = []
        for (prefix, _), rs in merged.items():
            out.append(
                self._part(
                    prefix, rs, rng, form=form, region=region, region_key=region_key, reviewer=reviewer
                )
            )
        return out

    def _part(
        self,
        prefix: str,
        refs: list[Ref],
        rng: random.Random,
        *,
        form: str,
        region: dict[str, object],
        region_key: str,
        reviewer: bool,
    ) -> Part:
        details = list(dict.fromkeys(r.detail for r in refs if r.detail))
        if prefix in ("acoem", "acoem-general"):
            if prefix == "acoem" and refs[0].chapter:
                region = {**region, "acoem_chapter": int(refs[0].chapter)}
            return self._acoem(prefix, details, rng, form=form, region=region, reviewer=reviewer)
        if prefix in ("cpmtg", "opioids", "acupuncture", "postsurgical"):
            gid = PREFIX_GUIDELINE[prefix]
            if prefix == "postsurgical":
                details = [POSTSURGICAL_SECTION.get(region_key, "General")]
            return self._topical(self.catalog[gid], details, rng, form=form, reviewer=reviewer)
        if prefix == "odg":
            slug = refs[0].chapter or str(region["odg"])
            return self._odg(slug, details, rng)
        if prefix == "acoem-3rd":
            return self._acoem_3rd(details[0] if details else "Low Back Disorders", rng)
        text = details[0] if details else "Drug information monograph"
        return Part(text, Citation("other", text=text), mtus=False)

    def _acoem(
        self,
        prefix: str,
        sections: list[str],
        rng: random.Random,
        *,
        form: str,
        region: dict[str, object],
        reviewer: bool,
    ) -> Part:
        key = None if prefix == "acoem-general" else region["acoem_chapter"]
        if prefix == "acoem" and key is None:  # no body-part chapter (hip): General Approaches instead
            sections = ["Initial Approaches to Treatment"]
        chapter = self.acoem.chapter(key)
        if chapter is None:
            raise CatalogError(
                f"synth vocabulary: ACOEM chapter {key!r} is not in guidelines/mtus-acoem.yaml"
            )
        edition = chapter.edition or self.acoem.edition
        if form == "sections":
            text = f"{chapter.title} {edition}"
            if sections and (reviewer or rng.random() < 0.25):
                text += ", Section(s): " + ", ".join(sections)
            else:
                sections = []
            return Part(text, Citation("mtus-acoem", key, edition, tuple(sections), (), text), mtus=True)
        # older form: "ACOEM Chapter 8 Neck and Upper Back Complaints Page(s): 177-179"
        if key is None:
            text = f"{chapter.title} {edition}"
            return Part(text, Citation("mtus-acoem", None, edition, (), (), text), mtus=True)
        text = f"ACOEM Chapter {key} {chapter.title}"
        pages: tuple[tuple[int, int], ...] = ()
        if reviewer or rng.random() < 0.3:
            options = self.acoem_pages.get(int(str(key)), [])
            if options:
                first = rng.choice(options)
                pages = (
                    (first,)
                    if rng.random() < 0.8 or len(options) == 1
                    else tuple(sorted({first, rng.choice(options)}))
                )
                text += " Page(s): " + ", ".join(_range(p) for p in pages)
        return Part(text, Citation("mtus-acoem", key, edition, (), pages, text), mtus=True)

    def _topical(
        self, g: Guideline, names: list[str], rng: random.Random, *, form: str, reviewer: bool
    ) -> Part:
        topics = [self._topic(g, n) for n in names]
        if form == "sections":
            title = rng.choice(SECTION_TITLES[g.id])
            edition = g.edition or ""
            if g.id == "mtus-cpmtg":
                edition = "2016" if rng.random() < 0.93 else "2009"
            text = f"{title} {edition}"
            if topics and (reviewer or rng.random() < 0.3):
                text += ", Section(s): " + ", ".join(t.name for t in topics)
            else:
                topics = []
            return Part(
                text, Citation(g.id, None, edition, tuple(t.name for t in topics), (), text), mtus=True
            )
        title = rng.choice(PAGE_TITLES[g.id])
        text = title
        if not reviewer and rng.random() < 0.6:
            topics = []
        if topics:
            text += " " + ", ".join(t.name for t in topics)
        pages = tuple(t.pages for t in topics if t.pages)
        if pages:
            text += " Page(s): " + ", ".join(_range(p) for p in pages)
        return Part(
            text, Citation(g.id, None, g.edition, tuple(t.name for t in topics), pages, text), mtus=True
        )

    def _odg(self, slug: str, topics: list[str], rng: random.Random) -> Part:
        chapter = self.odg.chapter(slug)
        assert chapter is not None
        name = rng.choice(ODG_NAMES)
        spelling = rng.choice(self.odg_spellings[slug])
        if chapter.keep_match_as_topic:  # "Physical Therapy Guidelines" names the chapter and the topic
            text = f"{name.rstrip(',')}, {spelling}"
            return Part(text, Citation("odg", slug, None, (spelling,), (), text), mtus=False)
        if topics == [INVERTIBLE] and slug in self.odg_inverted and rng.random() < 0.2:
            text = f"ODG MRI {self.odg_inverted[slug]}"  # the inverted form: topic first, then the body part
            return Part(text, Citation("odg", slug, None, ("MRI",), (), text), mtus=False)
        text = f"{name} {spelling}"
        if rng.random() < 0.08:
            text += f" (updated {rng.randint(1, 12)}/{rng.randint(1, 28)}/{rng.choice((15, 16))})"
        if topics:
            text += ", " + ", ".join(topics)
        return Part(text, Citation("odg", slug, None, tuple(topics), (), text), mtus=False)

    def _acoem_3rd(self, chapter_title: str, rng: random.Random) -> Part:
        g = self.catalog["acoem"]
        chapter = next((c for c in g.chapters if c.title == chapter_title), None)
        if chapter is None:
            raise CatalogError(
                f"synth vocabulary: ACOEM chapter {chapter_title!r} is not in guidelines/acoem.yaml"
            )
        page = rng.randint(300, 900)
        text = f"ACOEM Occupational Medicine Practice Guidelines, 3rd ed., {chapter.title}, pg. {page}"
        return Part(text, Citation("acoem", chapter.key, None, (), ((page, page),), text), mtus=False)


def _covers(pattern: re.Pattern[str], name: str, filler: list[re.Pattern[str]]) -> bool:
    """Whether ``pattern`` matches ``name`` from its start, leaving only filler words."""
    m = pattern.match(name)
    if not m:
        return False
    rest = name[m.end() :]
    for p in filler:
        rest = p.sub(" ", rest)
    return not rest.strip(" ,-")


def _range(p: tuple[int, int]) -> str:
    return str(p[0]) if p[0] == p[1] else f"{p[0]}-{p[1]}"


def none_citation(who: str) -> tuple[str, Citation]:
    """The stock "did not cite" sentence and its ``none`` citation."""
    sentence = f"The {who} did not cite any medical evidence for its decision."
    return sentence, Citation("none", text=sentence.rstrip("."))


def outside_mtus_sentence(who: str) -> str:
    """The stock sentence that precedes a Non-MTUS citation (not itself a citation)."""
    return f"The {who} based their decision on recommendation(s) outside of the MTUS Guidelines."


def join_statement(parts: list[Part]) -> str:
    """One guideline paragraph: MTUS parts in one "and"-joined sentence, each Non-MTUS part its own."""
    sentences = []
    mtus = [p for p in parts if p.mtus]
    if mtus:
        s = "Decision based on MTUS " + mtus[0].written
        for prev, p in zip(mtus, mtus[1:], strict=False):
            s += (
                ", and " if "Section(s):" in prev.written or "Page(s):" in prev.written else " and "
            ) + p.written
        sentences.append(s + ".")
    for p in parts:
        if not p.mtus:
            sentences.append(f"Decision based on Non-MTUS Citation {p.written}.")
    return " ".join(sentences)


__all__ = ["Citer", "Part", "compile_pattern", "join_statement", "none_citation", "outside_mtus_sentence"]
