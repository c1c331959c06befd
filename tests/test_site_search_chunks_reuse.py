"""Re-indexing a built site with the previous build's index (imrkb/site/searchindex.py): chunk
boundaries stay put, only chunks whose pages changed get a new Pagefind run, the rest are hard links to
the previous index's files, the previous site is never written, and the result equals a full index."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest
from site_corpus import run_imrkb

from imrkb.site.searchindex import STATE, carry_index, index_site

N = 45
SIZE = 10  # 45 pages: chunks of 10, 10, 10, 10, 5


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real built site (no index), copied by each test."""
    root = tmp_path_factory.mktemp("reuse")
    proc = run_imrkb(
        "synth", "--count", str(N), "--seed", "5", "--format", "yaml", "--out", str(root / "decisions")
    )
    assert proc.returncode == 0, proc.stderr
    proc = run_imrkb("build", "--root", str(root), "--no-search-index")
    assert proc.returncode == 0, proc.stderr
    return (root / "site").resolve()


@pytest.fixture
def old(built: Path, tmp_path: Path) -> Path:
    """The previous build: the site with a fresh chunked index."""
    site = tmp_path / "old"
    shutil.copytree(built, site, symlinks=True)
    index_site(site, chunk_size=SIZE)
    return site


def next_build(old: Path, tmp_path: Path, name: str = "new") -> Path:
    """The next build's folder: the previous build's pages (copies: a build writes its own files)."""
    site = tmp_path / name
    shutil.copytree(old, site, symlinks=True, ignore=shutil.ignore_patterns("pagefind"))
    return site


def fingerprint(folder: Path) -> dict[str, tuple[int, str]]:
    """Every file under ``folder``: its inode and content digest."""
    return {
        p.relative_to(folder).as_posix(): (p.stat().st_ino, hashlib.sha256(p.read_bytes()).hexdigest())
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def page_lists(site: Path) -> list[list[list[object]]]:
    """Each chunk's pages (path, digest, date, filters) as the index state records them."""
    return [c["pages"] for c in json.loads((site / "pagefind" / STATE).read_text())["chunks"]]


def linked(old: Path, new: Path, chunk: dict) -> bool:
    """Whether ``chunk``'s index in ``new`` is the same files (hard links) as one in ``old``."""
    inode = (new / "pagefind" / chunk["path"] / "pagefind.js").stat().st_ino
    return any(p.stat().st_ino == inode for p in (old / "pagefind").rglob("pagefind.js"))


def indexed_text(site: Path, chunk: dict) -> str:
    """The page contents Pagefind stored for ``chunk`` (its fragments, decompressed)."""
    folder = site / "pagefind" / chunk["path"] / "fragment"
    return "\n".join(gzip.decompress(p.read_bytes()).decode("utf-8", "replace") for p in folder.iterdir())


def fragments(site: Path, chunk: dict) -> list[bytes]:
    """The stored page contents of ``chunk``, decompressed, in order."""
    folder = site / "pagefind" / chunk["path"] / "fragment"
    return sorted(gzip.decompress(p.read_bytes()) for p in folder.iterdir())


def decision_pages(site: Path) -> list[Path]:
    return sorted((site / "decisions").glob("*/*/index.html"))


def rewrite(page: Path, text: str) -> None:
    """Replace a page as a build does: a new file, never the old file's bytes in place."""
    page.unlink()
    page.write_text(text, encoding="utf-8")


def add_page(site: Path, like: Path, name: str, date: str) -> str:
    """A new decision page: a copy of ``like`` under a new id with decision date ``date``."""
    new = like.parent.parent / name / "index.html"
    new.parent.mkdir()
    text = re.sub(r'(data-pagefind-sort="date">)[^<]*<', rf"\g<1>{date}<", like.read_text(encoding="utf-8"))
    new.write_text(text, encoding="utf-8")
    return new.relative_to(site).as_posix()


def test_unchanged_site_reuses_every_chunk_and_never_writes_the_old_one(old: Path, tmp_path: Path) -> None:
    before = fingerprint(old / "pagefind")
    new = next_build(old, tmp_path)
    manifest = index_site(new, previous=old, chunk_size=SIZE)
    assert [c["pages"] for c in manifest] == [10, 10, 10, 10, 5]
    assert manifest == json.loads((old / "pagefind" / "chunks.json").read_text())["chunks"]
    assert all(linked(old, new, c) for c in manifest)
    assert page_lists(new) == page_lists(old)
    assert fingerprint(old / "pagefind") == before


def test_one_changed_page_reindexes_only_its_chunk_and_equals_a_full_index(old: Path, tmp_path: Path) -> None:
    before = fingerprint(old / "pagefind")
    new = next_build(old, tmp_path)
    page = decision_pages(new)[7]
    text = page.read_text(encoding="utf-8")
    assert "Zyzzyvax" not in text
    rewrite(page, text.replace("</h1>", "</h1><p>Zyzzyvax</p>", 1))
    messages: list[str] = []
    manifest = index_site(new, previous=old, chunk_size=SIZE, say=messages.append)
    assert any("4 reused, 1 to index" in m for m in messages), messages

    full = tmp_path / "full"
    shutil.copytree(new, full, symlinks=True, ignore=shutil.ignore_patterns("pagefind"))
    assert index_site(full, chunk_size=SIZE) == manifest  # same boundaries, same chunk names
    assert page_lists(full) == page_lists(new)

    rel = page.relative_to(new).as_posix()
    [changed] = [
        c for c, pages in zip(manifest, page_lists(new), strict=True) if rel in [p[0] for p in pages]
    ]
    assert not linked(old, new, changed)
    assert [c for c in manifest if not linked(old, new, c)] == [changed]
    assert "Zyzzyvax" in indexed_text(new, changed)
    assert fingerprint(old / "pagefind") == before


def test_a_page_whose_similar_box_alone_changed_reuses_its_chunk_exactly(old: Path, tmp_path: Path) -> None:
    """A new decision changes the similar-decisions boxes of pages in every chunk; Pagefind ignores the
    box, so those chunks are reused, and a full index of the changed pages stores the same contents."""
    new = next_build(old, tmp_path)
    page = decision_pages(new)[7]
    text = page.read_text(encoding="utf-8")
    assert text.count('<section class="imrkb-similar"') == 1
    rewrite(
        page, re.sub(r"(<section class=\"imrkb-similar\".*?<ul>)", r"\1<li>Zyzzyvax</li>", text, flags=re.S)
    )
    messages: list[str] = []
    manifest = index_site(new, previous=old, chunk_size=SIZE, say=messages.append)
    assert any("5 reused, 0 to index" in m for m in messages), messages
    assert all(linked(old, new, c) for c in manifest)

    full = tmp_path / "full"
    shutil.copytree(new, full, symlinks=True, ignore=shutil.ignore_patterns("pagefind"))
    assert index_site(full, chunk_size=SIZE) == manifest
    assert [fragments(full, c) for c in manifest] == [fragments(new, c) for c in manifest]
    assert all("Zyzzyvax" not in indexed_text(full, c) for c in manifest)

    # The box's text outside it is still the page's: moving the word out of the box re-indexes.
    rewrite(page, text.replace("</h1>", "</h1><p>Zyzzyvax</p>", 1))
    again = tmp_path / "again"
    shutil.copytree(new, again, symlinks=True, ignore=shutil.ignore_patterns("pagefind"))
    messages.clear()
    index_site(again, previous=new, chunk_size=SIZE, say=messages.append)
    assert any("4 reused, 1 to index" in m for m in messages), messages


def test_a_page_whose_link_targets_alone_changed_reuses_its_chunk_exactly(old: Path, tmp_path: Path) -> None:
    """A new newest decision moves the decisions at the ends of guideline pages to the next page, so
    their pages link elsewhere; Pagefind stores no link targets, so their chunks are reused, and a full
    index of the changed pages stores the same contents. A changed link text still re-indexes."""
    new = next_build(old, tmp_path)
    page = decision_pages(new)[12]
    text = page.read_text(encoding="utf-8")
    hrefs = re.findall(r'href="([^"]*guidelines/[^"]*)"', text)
    assert hrefs
    moved = text.replace(f'href="{hrefs[0]}"', f'href="{hrefs[0]}page/9/"')
    assert moved != text
    rewrite(page, moved)
    messages: list[str] = []
    manifest = index_site(new, previous=old, chunk_size=SIZE, say=messages.append)
    assert any("5 reused, 0 to index" in m for m in messages), messages
    full = tmp_path / "full"
    shutil.copytree(new, full, symlinks=True, ignore=shutil.ignore_patterns("pagefind"))
    assert index_site(full, chunk_size=SIZE) == manifest
    assert [fragments(full, c) for c in manifest] == [fragments(new, c) for c in manifest]

    rewrite(page, re.sub(r'(href="[^"]*guidelines/[^"]*">)', r"\1Zyzzyvax ", moved, count=1))
    again = tmp_path / "again"
    shutil.copytree(new, again, symlinks=True, ignore=shutil.ignore_patterns("pagefind"))
    messages.clear()
    index_site(again, previous=new, chunk_size=SIZE, say=messages.append)
    assert any("4 reused, 1 to index" in m for m in messages), messages


def test_a_new_newest_page_makes_a_new_chunk_and_leaves_the_others(old: Path, tmp_path: Path) -> None:
    new = next_build(old, tmp_path)
    pages = decision_pages(new)
    rel = add_page(new, pages[0], "CM99-0000001", "2099-01-01")
    manifest = index_site(new, previous=old, chunk_size=SIZE)
    assert [c["pages"] for c in manifest] == [1, 10, 10, 10, 10, 5]
    assert manifest[0]["newest"] == "2099-01-01" and page_lists(new)[0][0][0] == rel
    assert [linked(old, new, c) for c in manifest] == [False] + [True] * 5
    assert page_lists(new)[1:] == page_lists(old)


def test_a_page_added_inside_a_full_chunk_splits_only_that_chunk(old: Path, tmp_path: Path) -> None:
    new = next_build(old, tmp_path)
    third = page_lists(old)[2]
    inside = third[4][2]  # a date inside the third chunk's range
    add_page(new, new / third[4][0], "CM99-0000002", str(inside))
    manifest = index_site(new, previous=old, chunk_size=SIZE)
    assert [c["pages"] for c in manifest] == [10, 10, 1, 10, 10, 5]
    assert [linked(old, new, c) for c in manifest] == [True, True, False, False, True, True]
    old_manifest = json.loads((old / "pagefind" / "chunks.json").read_text())["chunks"]
    assert manifest[2]["newest"] <= old_manifest[2]["newest"]
    assert manifest[3]["oldest"] == old_manifest[2]["oldest"]  # the boundary stays


def test_a_removed_page_reindexes_its_chunk(old: Path, tmp_path: Path) -> None:
    new = next_build(old, tmp_path)
    gone = page_lists(old)[1][3][0]
    shutil.rmtree((new / gone).parent)
    manifest = index_site(new, previous=old, chunk_size=SIZE)
    assert [c["pages"] for c in manifest] == [10, 9, 10, 10, 5]
    assert [linked(old, new, c) for c in manifest] == [True, False, True, True, True]


def test_written_pages_are_read_and_the_rest_taken_from_the_previous_index(old: Path, tmp_path: Path) -> None:
    new = next_build(old, tmp_path)
    page = decision_pages(new)[20]
    rewrite(page, page.read_text(encoding="utf-8").replace("</h1>", "</h1><p>Quokkaword</p>", 1))
    rel = page.relative_to(new).as_posix()
    told = tmp_path / "told"
    shutil.copytree(new, told, symlinks=True)
    index_site(new, previous=old, chunk_size=SIZE)
    index_site(told, previous=old, chunk_size=SIZE, written={rel})
    assert page_lists(told) == page_lists(new) != page_lists(old)
    # a page the build says it did not write is the previous build's: its recorded digest is used
    index_site(told, previous=old, chunk_size=SIZE, written=set())
    assert page_lists(told) == page_lists(old)


@pytest.mark.parametrize("damage", ["garbage", "missing", "old-version"])
def test_a_missing_or_corrupt_previous_index_means_a_full_run(old: Path, tmp_path: Path, damage: str) -> None:
    state = old / "pagefind" / STATE
    if damage == "garbage":
        state.write_text("{not json", encoding="utf-8")
    elif damage == "missing":
        state.unlink()
    else:
        state.write_text(json.dumps({**json.loads(state.read_text()), "version": 0}), encoding="utf-8")
    new = next_build(old, tmp_path)
    messages: list[str] = []
    manifest = index_site(new, previous=old, chunk_size=SIZE, say=messages.append)
    assert any(str(state) in m and "indexing every chunk" in m for m in messages), messages
    assert not any(linked(old, new, c) for c in manifest)
    assert [c["pages"] for c in manifest] == [10, 10, 10, 10, 5]


def test_a_damaged_chunk_of_the_previous_index_is_indexed_again(old: Path, tmp_path: Path) -> None:
    first = json.loads((old / "pagefind" / "chunks.json").read_text())["chunks"][0]
    next(iter((old / "pagefind" / first["path"]).glob("*.pf_meta"))).unlink()
    new = next_build(old, tmp_path)
    messages: list[str] = []
    manifest = index_site(new, previous=old, chunk_size=SIZE, say=messages.append)
    assert any("pf_meta is missing" in m for m in messages), messages
    assert [linked(old, new, c) for c in manifest] == [False, True, True, True, True]


def test_in_place_reindex_and_back_to_one_chunk(old: Path) -> None:
    """``previous`` may be the site itself; a corpus that fits one chunk is indexed in ``pagefind/``."""
    assert index_site(old, previous=old, chunk_size=SIZE) == index_site(old, chunk_size=SIZE)
    manifest = index_site(old, previous=old, chunk_size=1000)
    assert [c["path"] for c in manifest] == [""] and manifest[0]["pages"] == N
    assert not list((old / "pagefind").glob("part-*"))
    again = index_site(old, previous=old, chunk_size=1000)
    assert again == manifest


def test_a_page_pagefind_leaves_out_is_not_counted(old: Path, tmp_path: Path) -> None:
    """A page without ``data-pagefind-body`` (a takedown notice) is not indexed, so not in a chunk."""
    new = next_build(old, tmp_path)
    page = new / page_lists(old)[0][0][0]
    rewrite(page, page.read_text(encoding="utf-8").replace(" data-pagefind-body", ""))
    manifest = index_site(new, previous=old, chunk_size=SIZE)
    assert [c["pages"] for c in manifest] == [9, 10, 10, 10, 5]
    entry = json.loads((new / "pagefind" / manifest[0]["path"] / "pagefind-entry.json").read_text())
    assert entry["languages"]["en"]["page_count"] == 9
    assert [linked(old, new, c) for c in manifest] == [False, True, True, True, True]


def test_a_carried_index_is_reused_in_place_after_the_previous_build_is_gone(
    old: Path, tmp_path: Path
) -> None:
    """What a shard build does: link the previous index in, delete the previous build, index later."""
    new = next_build(old, tmp_path)
    assert carry_index(old, new)
    expect = json.loads((old / "pagefind" / "chunks.json").read_text())["chunks"]
    inodes = {c["path"]: (old / "pagefind" / c["path"] / "pagefind.js").stat().st_ino for c in expect}
    shutil.rmtree(old)
    messages: list[str] = []
    manifest = index_site(new, previous=new, chunk_size=SIZE, say=messages.append)
    assert manifest == expect
    assert any("5 reused, 0 to index" in m for m in messages), messages
    assert all((new / "pagefind" / p / "pagefind.js").stat().st_ino == n for p, n in inodes.items())
    assert not carry_index(tmp_path / "nothing", new)
