"""Rebuilds render and write only what changed, and still make exactly the site a full build makes.

A real corpus (the hand-made site records plus synthetic ones, enough for paginated lists) is built,
then changed step by step: an outcome flipped, a new newest decision (moving every newest-first list
by one), a citation moved to another guideline page, a record deleted, a decision taken down, a record
touched without a change. After each step `build_site` rebuilds the published site (recycling the
standby build) and a `--full` build of the same corpus goes to another folder: the two must hold the
same files with the same bytes (the feed's build time aside), and the rebuild's change list must be
small where the change is.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import re
from pathlib import Path

import pytest
from site_corpus import ACOEM_8, decision, run_imrkb, tree_digests, write_corpus

from imrkb.models import Issue
from imrkb.records import read_record
from imrkb.site import buildstate
from imrkb.site.build import build_site
from imrkb.site.publish import MARKER, builds_dir, standby
from imrkb.takedown import remove


def _tree(site: Path) -> dict[str, str]:
    """Every published file but the marker and Pagefind's own files, by path, with a digest."""
    return tree_digests(site, lambda rel: rel == MARKER or rel.startswith("pagefind/"))


def _indexed(site: Path) -> dict[str, str]:
    """Pagefind's record of the pages it indexed: page -> digest of its bytes."""
    state = json.loads((site / "pagefind" / "indexed.json").read_text(encoding="utf-8"))
    return {p[0]: p[3] for c in state["chunks"] for p in c["pages"]}


def _same_as_full(root: Path, site: Path, tmp: Path, *, search: bool) -> None:
    full = tmp / f"full-{len(list(tmp.iterdir()))}"
    build_site(root, full, search_index=search, full=True, say=lambda _m: None)
    a, b = _tree(site), _tree(full)
    assert sorted(set(a) - set(b)) == [], "files only the rebuild has"
    assert sorted(set(b) - set(a)) == [], "files only the full build has"
    assert sorted(k for k in a if a[k] != b[k]) == [], "files that differ"
    if search:
        assert _indexed(site) == _indexed(full)


def _changes(root: Path, site: Path) -> list[str]:
    state = buildstate.load(root, site, site.resolve())
    assert state is not None and state.changes is not None, "the rebuild kept no change list"
    return state.changes


def _pages(changes: list[str]) -> set[str]:
    return {c for c in changes if c.startswith("decisions/") and c.endswith("/index.html")}


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("incremental")
    write_corpus(root)
    synth = run_imrkb("synth", "--count", "120", "--seed", "7", "--out", str(root / "decisions"))
    assert synth.returncode == 0, synth.stderr
    return root


def test_rebuilds_equal_full_builds(root: Path, tmp_path: Path) -> None:
    site = root / "site"
    build_site(root, site, say=lambda _m: None)
    n = len(list(root.glob("decisions/*/*.yaml")))

    # Nothing changed: the second build links the first (no standby yet) and writes no page.
    build_site(root, site, say=lambda _m: None)
    assert _pages(_changes(root, site)) == set()
    _same_as_full(root, site, tmp_path, search=True)

    # One outcome flipped: that page and few others (its neighbours' boxes), from the standby.
    path = sorted(root.glob("decisions/2016/*.yaml"))[0]
    d = read_record(path)
    flip = "overturned" if d.issues[0].outcome == "upheld" else "upheld"
    write_corpus(root, [dataclasses.replace(d, issues=(dataclasses.replace(d.issues[0], outcome=flip),))])
    live = site.resolve().name
    build_site(root, site, say=lambda _m: None)
    assert standby(site) == builds_dir(site) / live  # the build it replaced is the next standby
    changed = _pages(_changes(root, site))
    assert f"decisions/2016/{d.id}/index.html" in changed
    assert 0 < len(changed) < n // 4
    _same_as_full(root, site, tmp_path, search=True)

    # A new newest decision on a paginated guideline page, and another record's citation moved.
    new = decision(
        "SYN19-0000001",
        dt.date(2019, 6, 30),
        [Issue("Lumbar MRI", "upheld", rationale="Not indicated.", reviewer_citations=(ACOEM_8,))],
    )
    other = read_record(sorted(root.glob("decisions/2015/*.yaml"))[1])
    moved = dataclasses.replace(other.issues[0], reviewer_citations=(ACOEM_8,))
    write_corpus(root, [new, dataclasses.replace(other, issues=(moved, *other.issues[1:]))])
    build_site(root, site, say=lambda _m: None)
    changed = _pages(_changes(root, site))
    assert {f"decisions/2019/{new.id}/index.html", f"decisions/2015/{other.id}/index.html"} <= changed
    _same_as_full(root, site, tmp_path, search=False)

    # A record deleted and a record touched without a change.
    gone = sorted(root.glob("decisions/2014/*.yaml"))[0]
    gone.unlink()
    touched = sorted(root.glob("decisions/2013/*.yaml"))[0]
    os.utime(touched, None)
    build_site(root, site, say=lambda _m: None)
    changes = _changes(root, site)
    assert f"decisions/2014/{gone.stem}.yaml" in changes
    assert not (site / f"decisions/2014/{gone.stem}").exists()
    assert f"decisions/2013/{touched.stem}/index.html" not in changes
    _same_as_full(root, site, tmp_path, search=True)

    # A decision taken down: a notice at its URL, and no build that still holds it is kept as standby.
    taken = sorted(root.glob("decisions/2017/*.yaml"))[0].stem
    remove(root, taken, "test takedown")
    build_site(root, site, say=lambda _m: None)
    notice = (site / f"decisions/2017/{taken}/index.html").read_text(encoding="utf-8")
    assert taken in notice and "removed" in notice.lower()
    assert standby(site) is None
    assert [p.name for p in builds_dir(site).iterdir() if p.name != "LOCK"] == [site.resolve().name]
    _same_as_full(root, site, tmp_path, search=True)
    build_site(root, site, say=lambda _m: None)  # and the next rebuild starts from the live build
    assert _pages(_changes(root, site)) == set()
    _same_as_full(root, site, tmp_path, search=False)


def test_a_rebuild_after_the_code_changes_renders_every_page(root: Path, tmp_path: Path) -> None:
    """A state made by other code (here: another fingerprint) is not trusted: every page is rendered,
    and still only pages whose bytes differ are written."""
    site = tmp_path / "site"
    build_site(root, site, search_index=False, say=lambda _m: None)
    state = buildstate.load(root, site, site.resolve())
    assert state is not None
    state.fingerprint = "another version"
    buildstate.save(root, site, site.resolve(), state, keep=set())
    said: list[str] = []
    build_site(root, site, search_index=False, say=said.append)
    assert any("every page" in m for m in said), said
    assert any(re.search(r"rendered (\d+) of \1 decision pages", m) for m in said), said
    assert _pages(_changes(root, site)) == set()
