"""The guideline catalog checks itself: every pattern matches one of its examples, every example is matched."""

from __future__ import annotations

from pathlib import Path

import pytest

from imrkb.catalog import DEFAULT_DIR, ORDER, Patterned, compile_pattern, load_catalog, load_catalog_from
from imrkb.errors import CatalogError

CATALOG = load_catalog()


def _entries() -> list[tuple[str, Patterned]]:
    out: list[tuple[str, Patterned]] = []
    for g in CATALOG:
        if g.match.patterns or g.match.examples:
            out.append((g.id, g.match))
        for ch in g.chapters:
            out.append((f"{g.id}:{ch.slug}", ch.match))
        for k, st in enumerate(g.statements):
            out.append((f"{g.id}:statement{k}", st.match))
    return out


@pytest.mark.parametrize(("where", "entry"), _entries(), ids=[w for w, _ in _entries()])
def test_every_pattern_matches_an_example_and_every_example_is_matched(where: str, entry: Patterned) -> None:
    assert entry.patterns, f"{where}: no patterns"
    assert entry.examples, f"{where}: no examples"
    for p in entry.patterns:
        assert any(p.search(ex) for ex in entry.examples), f"{where}: pattern {p.pattern!r} matches no example"
    for ex in entry.examples:
        assert any(p.search(ex) for p in entry.patterns), f"{where}: example {ex!r} is matched by no pattern"


def test_every_guideline_of_the_contract_has_a_file() -> None:
    assert [g.id for g in CATALOG] == list(ORDER)
    assert sorted(p.stem for p in DEFAULT_DIR.glob("*.yaml") if p.stem in ORDER) == sorted(ORDER)


def test_acoem_has_chapters_1_to_15_with_titles_and_general_approaches() -> None:
    acoem = CATALOG["mtus-acoem"]
    assert [c.key for c in acoem.chapters if c.key is not None] == list(range(1, 16))
    assert acoem.chapter(8).title == "Neck and Upper Back Complaints"
    assert acoem.chapter(None).title == "General Approaches"
    assert acoem.chapter(10).edition == "2007"


def test_topics_resolve_by_alias_case_and_ampersand() -> None:
    cpmtg = CATALOG["mtus-cpmtg"]
    assert cpmtg.find_topic("manual therapy and manipulation").name == "Manual therapy & manipulation"
    assert cpmtg.find_topic("Opioids, criteria for use").pages == (76, 80)
    assert cpmtg.find_topic("no such topic") is None


def test_spaces_in_patterns_match_line_breaks() -> None:
    p = compile_pattern("Neck (?:and|&) Upper Back Complaints")
    assert p.search("Neck and\nUpper   Back Complaints")


def test_a_broken_catalog_names_the_file(tmp_path: Path) -> None:
    for gid in ORDER:
        (tmp_path / f"{gid}.yaml").write_text((DEFAULT_DIR / f"{gid}.yaml").read_text())
    (tmp_path / "odg.yaml").write_text("id: odg\nname: x\nprogram: non-mtus\npatterns: ['(unclosed']\n")
    with pytest.raises(CatalogError, match=r"odg\.yaml.*bad regular expression"):
        load_catalog_from(tmp_path)
    (tmp_path / "odg.yaml").unlink()
    with pytest.raises(CatalogError, match=r"odg\.yaml: guideline file missing"):
        load_catalog_from(tmp_path)


def _resolution_rows() -> list[tuple[str, str, object, tuple[str, ...] | None]]:
    """(citation text, guideline, chapter, topics) for every chapter example and every topic in the catalog."""
    rows: list[tuple[str, str, object, tuple[str, ...] | None]] = []
    for ch in CATALOG["mtus-acoem"].chapters:
        for ex in ch.match.examples:
            rows.append((f"Decision based on MTUS {ex}.", "mtus-acoem", ch.key, None))
    for ch in CATALOG["odg"].chapters:
        for ex in ch.match.examples:
            rows.append((f"Decision based on Non-MTUS Citation Official Disability Guidelines (ODG), {ex}.",
                         "odg", ch.key, None))
    for gid, title in (("mtus-cpmtg", "Chronic Pain Medical Treatment 2016"),
                       ("mtus-postsurgical", "Postsurgical Treatment 2009"),
                       ("mtus-acupuncture", "Acupuncture Treatment 2007")):
        for t in CATALOG[gid].topics:
            rows.append((f"Decision based on MTUS {title}, Section(s): {t.name}.", gid, None, (t.name,)))
    for t in CATALOG["mtus-acoem"].chapter(12).sections:
        rows.append((f"Decision based on MTUS Low Back Complaints 2004, Section(s): {t.name}.", "mtus-acoem", 12,
                     (t.name,)))
    return rows


@pytest.mark.parametrize(("text", "guideline", "chapter", "topics"), _resolution_rows(),
                         ids=[r[0][18:80] for r in _resolution_rows()])
def test_every_catalog_entry_resolves_when_cited(text: str, guideline: str, chapter: object,
                                                 topics: tuple[str, ...] | None) -> None:
    from imrkb.citations import extract_citations

    got = [(c.guideline, c.chapter) for c in extract_citations(text)]
    assert (guideline, chapter) in got, got
    if topics is not None:
        (c,) = extract_citations(text)
        assert c.topics == topics
