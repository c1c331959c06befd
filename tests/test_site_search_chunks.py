"""The chunked Pagefind index (imrkb/site/searchindex.py) over a real built site: chunks are date runs
of bounded size, each a real Pagefind index of exactly its pages, and chunks.json carries counts that
equal counts computed independently from the YAML records."""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path

import pytest
from site_corpus import run_imrkb

from imrkb.records import read_record
from imrkb.site.searchindex import EVERY_WORD, index_site

N = 45


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("chunks")
    proc = run_imrkb(
        "synth", "--count", str(N), "--seed", "5", "--format", "yaml", "--out", str(root / "decisions")
    )
    assert proc.returncode == 0, proc.stderr
    proc = run_imrkb("build", "--root", str(root))
    assert proc.returncode == 0, proc.stderr
    return root


def records(root: Path) -> list:
    return [read_record(p) for p in sorted((root / "decisions").glob("*/*.yaml"))]


def test_default_build_is_one_index_at_the_usual_place(site: Path) -> None:
    out = site / "site"
    manifest = json.loads((out / "pagefind" / "chunks.json").read_text())
    assert [c["path"] for c in manifest["chunks"]] == [""]
    entry = json.loads((out / "pagefind" / "pagefind-entry.json").read_text())
    assert entry["languages"]["en"]["page_count"] == N
    assert not (out / "pagefind" / "pagefind-ui.js").exists()  # unused UI bundles are dropped


@pytest.mark.parametrize("size", [10, 16, 44])
def test_chunks_are_bounded_date_runs_of_real_indexes(site: Path, size: int) -> None:
    out = (site / "site").resolve()
    manifest = index_site(out, chunk_size=size, jobs=2)
    assert len(manifest) == math.ceil(N / size)
    assert json.loads((out / "pagefind" / "chunks.json").read_text())["chunks"] == manifest
    assert [c["pages"] for c in manifest][:-1] == [size] * (len(manifest) - 1)
    assert sum(c["pages"] for c in manifest) == N
    for newer, older in zip(manifest, manifest[1:], strict=False):
        assert newer["oldest"] >= older["newest"]  # newest first, no overlap: date order = chunk order
    for c in manifest:
        assert c["every"] == EVERY_WORD  # every decision page has the word: filter-only searches use it
        folder = out / "pagefind" / c["path"]
        entry = json.loads((folder / "pagefind-entry.json").read_text())
        assert entry["languages"]["en"]["page_count"] == c["pages"]
        assert (folder / "pagefind.js").is_file()
    assert not list(out.glob(".pagefind-*")) and not list(out.glob("pagefind-*"))

    decisions = records(site)
    dates = sorted((d.dates.decision.isoformat() for d in decisions), reverse=True)
    assert manifest[0]["newest"] == dates[0] and manifest[-1]["oldest"] == dates[-1]
    for key, expect in (
        ("outcome", Counter(o for d in decisions for o in {i.outcome for i in d.issues})),
        ("year", Counter(d.year_folder for d in decisions)),
        ("specialty", Counter(s for d in decisions for s in set(d.reviewer.specialties))),
    ):
        got: Counter[str] = Counter()
        for c in manifest:
            got.update(c["filters"].get(key, {}))
        assert got == expect, key


def test_rebuild_back_to_one_chunk_leaves_no_stale_parts(site: Path) -> None:
    out = (site / "site").resolve()
    parts = [c["path"] for c in index_site(out, chunk_size=7)]
    assert len(parts) == 7 and all((out / "pagefind" / p).is_dir() for p in parts)
    index_site(out, chunk_size=1000)
    assert not any((out / "pagefind" / p).exists() for p in parts)
    assert (
        json.loads((out / "pagefind" / "pagefind-entry.json").read_text())["languages"]["en"]["page_count"]
        == N
    )
