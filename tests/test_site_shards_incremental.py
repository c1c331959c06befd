"""Sharded rebuilds (`imrkb build --shards`) build only the shards whose inputs changed and bring the
assembled site's standby up to date by links, and still publish exactly what a `--full` sharded build
of the same corpus publishes: after nothing changed, one outcome flipped, a decision taken down and a
whole year's records deleted. A real multi-year synthetic corpus, the real command, real Pagefind."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from site_corpus import run_imrkb, tree_digests, write_corpus

from imrkb.records import read_record
from imrkb.site.publish import MARKER, builds_dir, published, standby

N = 60


def _leave_out(rel: str) -> bool:
    """Build markers, the shards' timing report and Pagefind's own files (checked by their pages)."""
    name = rel.rpartition("/")[2]
    return name in (MARKER, "shards.json") or rel.startswith("pagefind/") or "/pagefind/" in rel


def _untimed(rel: str, data: bytes) -> bytes:
    """A shard's summary without its build time."""
    if not rel.endswith("summary.json"):
        return data
    return json.dumps({k: v for k, v in json.loads(data).items() if k != "seconds"}).encode()


def _tree(site: Path) -> dict[str, str]:
    """Every published file by path, with a digest, but those :func:`_leave_out` names and times."""
    return tree_digests(site, _leave_out, _untimed)


def _indexed(site: Path) -> set[str]:
    """The pages every shard's Pagefind index holds, with the digest of each page's bytes."""
    out = set()
    for state in site.resolve().glob("shards/*/pagefind/indexed.json"):
        year = state.parent.parent.name
        for c in json.loads(state.read_text(encoding="utf-8"))["chunks"]:
            out |= {(year, p[0], p[1]) for p in c["pages"]}
    return out


def _build(root: Path, *extra: str) -> str:
    proc = run_imrkb("build", "--root", str(root), "--shards", "--jobs", "2", *extra)
    assert proc.returncode == 0, proc.stderr
    return proc.stderr


def _same_as_full(root: Path, tmp: Path) -> None:
    k = len(list(tmp.iterdir()))
    full, shards = tmp / f"full-{k}", tmp / f"shards-{k}"
    _build(root, "--full", "--out", str(full), "--shards-dir", str(shards), "--no-precedent-index")
    a, b = _tree(root / "site"), _tree(full)
    assert sorted(set(a) - set(b)) == [], "files only the rebuild has"
    assert sorted(set(b) - set(a)) == [], "files only the full build has"
    assert sorted(k for k in a if a[k] != b[k]) == [], "files that differ"
    assert _indexed(root / "site") == _indexed(full)


def _shard_builds(root: Path) -> dict[str, str]:
    """Each shard's published build folder, by year."""
    out = {}
    for p in (root / "shards").iterdir():
        live = published(p)
        if live is not None:
            out[p.name] = live.name
    return out


@pytest.fixture()
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("shards-incremental")
    proc = run_imrkb(
        "synth", "--count", str(N), "--seed", "9", "--format", "yaml", "--out", str(root / "decisions")
    )
    assert proc.returncode == 0, proc.stderr
    return root


def test_sharded_rebuilds_build_only_changed_shards_and_equal_full_builds(root: Path, tmp_path: Path) -> None:
    years = sorted(p.name for p in (root / "decisions").iterdir())
    assert len(years) >= 4
    err = _build(root)
    assert f"{len(years)} of {len(years)} shards built" in err

    # Nothing changed: no shard is built; the second assemble has no standby yet, the third recycles it.
    builds = _shard_builds(root)
    for _ in range(2):
        err = _build(root)
        assert f"0 of {len(years)} shards built ({len(years)} unchanged)" in err
        assert _shard_builds(root) == builds
    assert "assembled into the standby" in err
    _same_as_full(root, tmp_path)

    # One outcome flipped: only its shard is built, and the other shards' files are the same inodes.
    year = years[len(years) // 2]
    path = sorted((root / "decisions" / year).glob("*.yaml"))[0]
    d = read_record(path)
    flip = "overturned" if d.issues[0].outcome == "upheld" else "upheld"
    summary = root / "shards" / year / "summary.json"
    overturned = json.loads(summary.read_text(encoding="utf-8"))["overturned"]
    write_corpus(root, [dataclasses.replace(d, issues=(dataclasses.replace(d.issues[0], outcome=flip),))])
    err = _build(root)
    assert f"1 of {len(years)} shards built ({len(years) - 1} unchanged)" in err
    now = _shard_builds(root)
    assert {y for y in years if now[y] != builds[y]} == {year}
    assert json.loads(summary.read_text(encoding="utf-8"))["overturned"] == overturned + (
        1 if flip == "overturned" else -1
    )
    other = years[0]
    a = root / "site" / "shards" / other / "index.html"
    assert a.stat().st_ino == (root / "shards" / other / "index.html").stat().st_ino
    _same_as_full(root, tmp_path)

    # Another in the same year: now that shard has a standby, its index reuses the replaced build's
    # chunks and reads only the pages the build wrote.
    e = read_record(sorted((root / "decisions" / year).glob("*.yaml"))[-1])
    flip = "overturned" if e.issues[0].outcome == "upheld" else "upheld"
    write_corpus(root, [dataclasses.replace(e, issues=(dataclasses.replace(e.issues[0], outcome=flip),))])
    assert standby(root / "shards" / year) is not None
    err = _build(root)
    assert f"1 of {len(years)} shards built" in err
    _same_as_full(root, tmp_path)

    # A decision taken down and a whole year's records deleted: the taken-down record survives in no
    # build folder of the site or of its shard, and the deleted year is no longer published.
    taken = sorted((root / "decisions" / years[-1]).glob("*.yaml"))[0].stem
    proc = run_imrkb("remove", taken, "--root", str(root), "--reason", "test takedown")
    assert proc.returncode == 0, proc.stderr
    for p in (root / "decisions" / years[0]).glob("*.yaml"):
        p.unlink()
    _build(root)
    assert sorted(p.name for p in (root / "site" / "shards").iterdir()) == years[1:]
    held = [
        p
        for home in (builds_dir(root / "site"), builds_dir(root / "shards" / years[-1]))
        for p in home.rglob(f"{taken}.yaml")
    ]
    assert held == []
    assert standby(root / "site") is None
    _same_as_full(root, tmp_path)


def test_a_new_chunk_size_rebuilds_every_shard(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The search index's settings are a shard's input: a shard indexed in chunks of another size is
    not skipped as unchanged (its records did not change), and is indexed with the new size."""
    years = sorted(p.name for p in (root / "decisions").iterdir())
    _build(root, "--no-precedent-index")
    monkeypatch.setenv("IMRKB_PAGEFIND_CHUNK", "7")
    err = _build(root, "--no-precedent-index")
    assert f"{len(years)} of {len(years)} shards built" in err
    for year in years:
        state = json.loads((root / "shards" / year / "pagefind" / "indexed.json").read_text(encoding="utf-8"))
        assert state["chunk_size"] == 7
        assert all(len(c["pages"]) <= 7 for c in state["chunks"])
    err = _build(root, "--no-precedent-index")
    assert f"0 of {len(years)} shards built ({len(years)} unchanged)" in err
