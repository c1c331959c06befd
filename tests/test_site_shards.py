"""Sharded builds (imrkb/site/shards.py) of a real multi-year synthetic corpus: every year its own MkDocs +
Pagefind site, built in parallel processes, joined by a top-level site whose counts match the records
and the shards' own pages, whose links all resolve, and whose search manifest lists every shard."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from site_corpus import run_imrkb

from imrkb.records import read_record

N = 70


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("shards")
    proc = run_imrkb(
        "synth", "--count", str(N), "--seed", "9", "--format", "yaml", "--out", str(root / "decisions")
    )
    assert proc.returncode == 0, proc.stderr
    proc = run_imrkb("build", "--root", str(root), "--shards", "--jobs", "2")
    assert proc.returncode == 0, proc.stderr
    return root


def years(root: Path) -> dict[str, list]:
    out: dict[str, list] = {}
    for p in sorted((root / "decisions").glob("*/*.yaml")):
        out.setdefault(p.parent.name, []).append(read_record(p))
    return out


def test_every_year_is_its_own_site_with_exactly_its_decisions(corpus: Path) -> None:
    site = corpus / "site"
    by_year = years(corpus)
    assert len(by_year) >= 3
    assert sorted(p.name for p in (site / "shards").iterdir()) == sorted(by_year)
    for year, decisions in by_year.items():
        shard = site / "shards" / year
        pages = sorted(p.parent.name for p in (shard / "decisions").glob("*/*/index.html"))
        assert pages == sorted(d.id for d in decisions)
        assert (shard / "index.html").is_file() and (shard / "guidelines" / "index.html").is_file()
        entry = json.loads((shard / "pagefind" / "pagefind-entry.json").read_text())
        assert entry["languages"]["en"]["page_count"] == len(decisions)


def test_top_level_counts_match_the_records_and_the_shards(corpus: Path) -> None:
    site = corpus / "site"
    decisions = [d for ds in years(corpus).values() for d in ds]
    home = (site / "index.html").read_text()
    m = re.search(r'data-decisions="(\d+)" data-items="(\d+)" data-overturned="(\d+)"', home)
    assert m
    items = [i for d in decisions for i in d.issues]
    assert (int(m[1]), int(m[2]), int(m[3])) == (
        len(decisions),
        len(items),
        sum(1 for i in items if i.outcome == "overturned"),
    )
    # family counts on the top-level guideline page = the sum of each shard's own guideline page
    top = dict(
        re.findall(
            r'data-family="([^"]+)" data-items="(\d+)"', (site / "guidelines" / "index.html").read_text()
        )
    )
    summed: Counter[str] = Counter()
    for shard in (site / "shards").iterdir():
        page = (shard / "guidelines" / "index.html").read_text()
        for fam, n in re.findall(r'<tr data-family="([^"]+)" data-items="(\d+)"', page):
            summed[fam] += int(n)
    assert {k: int(v) for k, v in top.items()} == {k: v for k, v in summed.items() if v}
    # downloads: every record once; one CSV header
    lines = (site / "data" / "decisions.jsonl").read_text().splitlines()
    assert sorted(json.loads(x)["id"] for x in lines) == sorted(d.id for d in decisions)
    csv = (site / "data" / "decisions.csv").read_text().splitlines()
    assert sum(1 for x in csv if x.startswith(csv[0])) == 1


def test_search_manifest_lists_every_shard_chunk(corpus: Path) -> None:
    site = corpus / "site"
    chunks = json.loads((site / "pagefind" / "chunks.json").read_text())["chunks"]
    assert sum(c["pages"] for c in chunks) == N
    assert {c["site"] for c in chunks} == {f"shards/{y}/" for y in years(corpus)}
    newest = [c["newest"] for c in chunks]
    assert newest == sorted(newest, reverse=True)
    for c in chunks:
        assert (site / "pagefind" / c["path"] / "pagefind.js").resolve().is_file()


def test_top_level_links_resolve(corpus: Path) -> None:
    site = corpus / "site"
    checked = 0
    for page in [
        site / "index.html",
        *(site / d / "index.html" for d in ("guidelines", "browse", "statistics")),
    ]:
        for href in re.findall(r'href="([^"]+)"', page.read_text()):
            if href.startswith(("http:", "https:", "#", "mailto:")):
                continue
            target = (page.parent / href.split("#")[0]).resolve()
            assert target.is_file() or (target / "index.html").is_file(), f"{page}: {href}"
            checked += 1
    assert checked > 50


def test_one_shard_rebuilt_alone_then_assembled(corpus: Path) -> None:
    year = sorted(years(corpus))[0]
    proc = run_imrkb("build", "--root", str(corpus), "--shard", year)
    assert proc.returncode == 0, proc.stderr
    proc = run_imrkb("build", "--root", str(corpus), "--assemble")
    assert proc.returncode == 0, proc.stderr
    assert (corpus / "site" / "shards" / year / "index.html").is_file()


def test_unknown_shard_and_incomplete_shards_are_one_line_errors(corpus: Path, tmp_path: Path) -> None:
    proc = run_imrkb("build", "--root", str(corpus), "--shard", "1999")
    assert proc.returncode != 0 and "1999" in proc.stderr and "Traceback" not in proc.stderr
    (tmp_path / "shards" / "2016").mkdir(parents=True)
    proc = run_imrkb("build", "--root", str(corpus), "--assemble", "--shards-dir", str(tmp_path / "shards"))
    assert proc.returncode != 0 and "not complete" in proc.stderr and "Traceback" not in proc.stderr


def test_the_precedent_index_is_built_and_the_shards_record_caches_answer_for_every_record(
    corpus: Path,
) -> None:
    from imrkb.search.searching import PrecedentIndex
    from imrkb.site.recordcache import CachedRecords, build_caches

    by_year = years(corpus)
    caches = build_caches(corpus)
    assert len(caches) == len(by_year)  # one per shard (the corpus root has no build of its own)
    lookup = CachedRecords(caches)
    paths = sorted((corpus / "decisions").glob("*/*.yaml"))
    assert all(lookup(p.relative_to(corpus).as_posix(), p.stat()) is not None for p in paths)
    with PrecedentIndex(corpus) as ix:
        assert ix.searcher.doc_count() == sum(len(d.issues) for ds in by_year.values() for d in ds)
