"""A full build in parallel batches, with records from the site build's record cache, answers exactly as a
single-process build that parses every record: same hits, same order, same scores, same tallies.

Real YAML records, a real record cache (filled as the site build's first pass fills it) and real Whoosh
indexes.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from imrkb.models import Decision
from imrkb.records import atomic_write_text, read_record, to_yaml
from imrkb.search.evaluate import load_judged, write_synthetic_corpus
from imrkb.search.indexer import update_index
from imrkb.search.searching import PrecedentIndex
from imrkb.site.corpus import iter_checked
from imrkb.site.recordcache import CachedRecords, RecordCache, build_caches, cache_path

FILTERS = ["outcome:overturned", "year:2015..2016", "guideline:mtus-cpmtg", "category:opioids", "MRI -lumbar"]


def answers(root: Path) -> dict[str, Any]:
    """Every judged query and a few filters: the hits (id, item, score) in order and the tally."""
    out: dict[str, Any] = {}
    with PrecedentIndex(root) as ix:
        for q in [j.query for j in load_judged()] + FILTERS:
            r = ix.search(q, limit=40)
            out[q] = ([(h.decision, h.n, h.score) for h in r.hits], r.tally)
    return out


def fill_cache(root: Path) -> None:
    cache = RecordCache(cache_path(root))
    for _ in iter_checked(root, cache, scan=True):
        pass
    cache.close()


class Counting:
    """A lookup that counts its answers."""

    def __init__(self, lookup: CachedRecords) -> None:
        self.lookup, self.found, self.asked = lookup, 0, 0

    def __call__(self, rel: str, st: os.stat_result) -> Decision | None:
        d = self.lookup(rel, st)
        self.asked += 1
        self.found += d is not None
        return d


def test_parallel_cached_build_answers_as_a_plain_single_process_build(tmp_path: Path) -> None:
    truth = write_synthetic_corpus(tmp_path, 150, seed=7)
    plain = update_index(tmp_path, full=True, procs=1, progress=False, batch_items=10**6)
    with PrecedentIndex(tmp_path) as ix:
        assert len(ix.searcher.reader().leaf_readers()) == 1
    want = answers(tmp_path)
    assert sum(len(hits) for hits, _ in want.values()) > 200  # the queries find things

    fill_cache(tmp_path)
    lookup = Counting(CachedRecords(build_caches(tmp_path)))
    fast = update_index(
        tmp_path, full=True, procs=1, progress=False, batch_items=40, parallel_min_records=1, lookup=lookup
    )
    assert lookup.found == lookup.asked == 150  # every record came from the cache
    par = update_index(
        tmp_path,
        full=True,
        procs=2,
        progress=False,
        batch_items=40,
        parallel_min_records=1,
        lookup=CachedRecords(build_caches(tmp_path)),
    )
    with PrecedentIndex(tmp_path) as ix:
        assert len(ix.searcher.reader().leaf_readers()) > 2  # several batches, several segments
    assert plain.items == fast.items == par.items == len(truth)
    assert answers(tmp_path) == want


def test_a_record_changed_since_the_cache_was_filled_is_read_again(tmp_path: Path) -> None:
    write_synthetic_corpus(tmp_path, 20, seed=2)
    fill_cache(tmp_path)
    path = sorted((tmp_path / "decisions").glob("*/*.yaml"))[0]
    d = read_record(path)
    atomic_write_text(path, to_yaml(d.__class__(**{**vars(d), "summary": "Zyzzyva appears once."})))
    lookup = Counting(CachedRecords(build_caches(tmp_path)))
    update_index(tmp_path, full=True, progress=False, lookup=lookup)
    assert (lookup.asked, lookup.found) == (20, 19)
    with PrecedentIndex(tmp_path) as ix:
        assert {h.decision for h in ix.search("zyzzyva").hits} == {d.id}


def test_a_cache_made_by_other_code_is_not_used(tmp_path: Path) -> None:
    write_synthetic_corpus(tmp_path, 5, seed=2)
    fill_cache(tmp_path)
    import sqlite3

    db = sqlite3.connect(cache_path(tmp_path))
    db.execute("UPDATE meta SET value = 'other' WHERE key = 'fingerprint'")
    db.commit()
    db.close()
    lookup = Counting(CachedRecords(build_caches(tmp_path)))
    report = update_index(tmp_path, full=True, progress=False, lookup=lookup)
    assert (lookup.asked, lookup.found, report.decisions) == (5, 0, 5)
