"""The lean segment writer against Whoosh's own: same segment files, byte for byte, from the same documents.

These tests fail when a Whoosh release changes the writer internals :mod:`imrkb.search.segments` uses.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from whoosh import index as windex
from whoosh.writing import NO_MERGE, SegmentWriter

from imrkb.catalog import load_catalog
from imrkb.search import segments
from imrkb.search.documents import Labels
from imrkb.search.evaluate import write_synthetic_corpus
from imrkb.search.indexer import scan_records
from imrkb.search.reading import record_documents
from imrkb.search.schema import build_schema
from imrkb.search.segments import LeanWriter, TermGroups, commit_segments


def documents(root: Path) -> list[dict[str, Any]]:
    todo = [(rel, p.read_bytes(), {}, None) for rel, p in scan_records(root).items()]
    docs = record_documents(todo, load_catalog(), Labels({}, {}, {}))
    return [d for _, _, item_docs in docs for d in item_docs]


def segment_files(folder: Path) -> dict[str, bytes]:
    """The one segment's files of the index in ``folder`` by name less the segment's random id."""
    ix = windex.open_dir(str(folder))
    (seg,) = ix._segments()
    store = seg.open_compound_file(ix.storage) if seg.is_compound() else ix.storage
    out = {}
    prefix = f"{seg.indexname}_{seg.segid}"
    for name in store.list():
        if name.startswith(prefix):
            with store.open_file(name) as f:
                out[name.removeprefix(prefix)] = f.read()
    return out


def test_the_whoosh_internals_it_uses_are_there() -> None:
    for name in segments.WRITER_METHODS:
        assert callable(getattr(SegmentWriter, name, None)), name
    from whoosh.codec import whoosh3

    assert whoosh3._lenfield("item") == "_item_len" and whoosh3.LENGTHS_COLUMN is not None


def test_a_lean_segment_is_the_plain_writers_segment_byte_for_byte(tmp_path: Path) -> None:
    write_synthetic_corpus(tmp_path / "corpus", 60, seed=11)
    docs = documents(tmp_path / "corpus")
    assert len(docs) > 100
    plain, lean = tmp_path / "plain", tmp_path / "lean"
    for folder in (plain, lean):
        folder.mkdir()
        windex.create_in(str(folder), build_schema())
    w = SegmentWriter(windex.open_dir(str(plain)))
    for doc in docs:
        w.add_document(**doc)
    w.commit(mergetype=NO_MERGE)
    lw = LeanWriter(windex.open_dir(str(lean)))
    for doc in docs:
        lw.add_document(**doc)
    commit_segments(windex.open_dir(str(lean)), [lw.finish()])
    a, b = segment_files(plain), segment_files(lean)
    assert {".trm", ".pst", "._item_len.col", ".order.col"} <= set(a) and set(a) == set(b)
    for ext in a:
        assert a[ext] == b[ext], ext
    with windex.open_dir(str(lean)).searcher() as s:
        assert s.doc_count() == len(docs)
        assert [f["uid"] for f in s.all_stored_fields()] == [d["uid"] for d in docs]


def test_term_groups_yield_postings_in_the_order_whoosh_sorts_them() -> None:
    postings = [
        ("item", b"mri", 0, 1.0, None),
        ("guideline", b"odg", 0, 1.0, None),
        ("item", b"ct", 1, 2.0, b"x"),
        ("item", b"mri", 2, 1.0, None),
        ("guideline", b"odg", 3, 1.0, None),
        ("item", b"ct", 3, 1.0, b"y"),
    ]
    pool = TermGroups()
    for p in postings:
        pool.add(p)
    assert list(pool.iter_postings()) == sorted(postings)
    assert pool.fieldnames == {"item", "guideline"}


def test_a_lean_writer_adds_documents_only(tmp_path: Path) -> None:
    windex.create_in(str(tmp_path), build_schema())
    lw = LeanWriter(windex.open_dir(str(tmp_path)))
    with pytest.raises(NotImplementedError):
        lw.add_reader(None)
    assert lw.finish() is None
