"""The build's record cache (imrkb/site/recordcache.py): unchanged files come from it, every change is read.

Real YAML files on disk and a real SQLite cache; the personal-data gate must hold whatever is cached.
"""

from __future__ import annotations

import dataclasses
import os
import sqlite3
from pathlib import Path

import pytest
from site_corpus import corpus, write_corpus

from imrkb.errors import ImrkbError
from imrkb.records import atomic_write_text, to_yaml
from imrkb.site.corpus import iter_checked
from imrkb.site.recordcache import RecordCache, cache_path


def read_all(root: Path) -> tuple[dict[str, object], RecordCache]:
    cache = RecordCache(cache_path(root))
    out = {d.id: (d, found) for _, d, found in iter_checked(root, cache, scan=True)}
    cache.close()
    return out, cache


def test_second_read_comes_from_the_cache_and_equals_the_files(tmp_path: Path) -> None:
    write_corpus(tmp_path)
    first, c1 = read_all(tmp_path)
    assert c1.misses == len(first) and c1.hits == 0
    second, c2 = read_all(tmp_path)
    assert c2.hits == len(first) and c2.misses == 0
    assert second == first
    fresh = {d.id: (d, found) for _, d, found in iter_checked(tmp_path, None, scan=True)}
    assert second == fresh


def test_a_changed_record_is_read_again(tmp_path: Path) -> None:
    paths = write_corpus(tmp_path)
    read_all(tmp_path)
    rec = corpus()[0]
    changed = dataclasses.replace(rec, summary=rec.summary + " Changed after the first build.")
    st = paths[0].stat()
    atomic_write_text(paths[0], to_yaml(changed))
    os.utime(paths[0], ns=(st.st_atime_ns, st.st_mtime_ns))  # same mtime: the inode and ctime tell
    got, cache = read_all(tmp_path)
    assert cache.misses == 1
    assert got[rec.id][0].summary.endswith("Changed after the first build.")


def test_personal_data_added_to_a_cached_record_blocks(tmp_path: Path) -> None:
    paths = write_corpus(tmp_path)
    before, _ = read_all(tmp_path)
    rec = corpus()[0]
    assert before[rec.id][1] == []
    atomic_write_text(paths[0], to_yaml(dataclasses.replace(rec, summary="Her SSN is 123-45-6789.")))
    after, _ = read_all(tmp_path)
    assert any("personal data" in m for m in after[rec.id][1])


def test_deleted_records_leave_the_cache_and_a_damaged_cache_starts_again(tmp_path: Path) -> None:
    paths = write_corpus(tmp_path)
    read_all(tmp_path)
    paths[0].unlink()
    got, _ = read_all(tmp_path)
    db = sqlite3.connect(cache_path(tmp_path))
    files = {f for (f,) in db.execute("SELECT file FROM entries")}
    db.close()
    assert len(files) == len(got) == len(paths) - 1
    assert paths[0].relative_to(tmp_path).as_posix() not in files
    cache_path(tmp_path).write_bytes(b"not a database" * 100)
    for extra in cache_path(tmp_path).parent.glob("*-wal"):
        extra.unlink()
    again, cache = read_all(tmp_path)
    assert again == got and cache.misses == len(got)


def test_a_record_that_cannot_be_read_names_its_file(tmp_path: Path) -> None:
    paths = write_corpus(tmp_path)
    read_all(tmp_path)
    paths[1].write_text("id: [unclosed\n", encoding="utf-8")
    with pytest.raises(ImrkbError, match=rf"{paths[1].name}: cannot read the record \((?:Scanner|Parser)Error"):
        read_all(tmp_path)
