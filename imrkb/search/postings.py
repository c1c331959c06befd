"""Reading a term's whole posting list as document numbers (a list, a set or a bitmap), a block at a time.

Whoosh's generic way (``Searcher.docs_for_query``) walks the postings one document at a time through
several Python calls each; for a term in tens of thousands of documents that dominates a query. The
Whoosh 3 codec keeps postings in blocks of document ids; this module takes each block's ids whole. It
relies on that codec's block reader (``_read_ids``/``_next_block``) and falls back to the generic walk for
any other matcher, so a different codec is slower, never wrong (tests compare both ways).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from itertools import accumulate, islice
from typing import Any

from whoosh.matching import wrappers
from whoosh.reading import TermNotFound

from .bitmaps import from_ids


def _block_ids(m: Any, offset: int, out: list[int]) -> bool:
    """Append every id of a fresh Whoosh 3 leaf matcher plus ``offset`` to ``out``, block by block;
    ``False`` (and nothing appended) if it is not such a matcher.

    A block holds its ids delta-encoded: :func:`itertools.accumulate` decodes them in C, starting from
    ``offset``, where the codec's own decoder is a Python generator.
    """
    attrs = ("_read_data", "_next_block", "_data", "_byteids", "_i", "is_active")
    if not all(hasattr(m, a) for a in attrs) or m._byteids:  # byte ids: term vectors, not postings
        return False
    while m.is_active():
        if m._data is None:
            m._read_data()
        it = accumulate(m._data[0], initial=offset)
        next(it)
        if m._i:
            it = islice(it, m._i, None)
        out.extend(it)
        m._next_block()
    return True


def term_ids(reader: Any, fieldname: str, text: str) -> list[int]:
    """Document numbers (index-wide, ascending, deletions excluded) holding ``text`` in ``fieldname``."""
    out: list[int] = []
    for sub, offset in reader.leaf_readers():
        try:
            m = sub.postings(fieldname, text)
        except TermNotFound:
            continue
        raw = m.child if isinstance(m, wrappers.FilterMatcher) else m
        start = len(out)
        if not _block_ids(raw, offset, out):
            out.extend(offset + i for i in m.all_ids())
        elif raw is not m and sub.has_deletions():
            out[start:] = [d for d in out[start:] if not sub.is_deleted(d - offset)]
    return out


def term_docs(reader: Any, fieldname: str, text: str) -> frozenset[int]:
    """:func:`term_ids` as a set."""
    return frozenset(term_ids(reader, fieldname, text))


def term_bits(reader: Any, fieldname: str, text: str) -> int:
    """:func:`term_ids` as a bitmap (see :mod:`.bitmaps`)."""
    return from_ids(term_ids(reader, fieldname, text), reader.doc_count_all())


def _is_block_matcher(m: Any) -> bool:
    attrs = ("_read_data", "_next_block", "_data", "_byteids", "_maxid", "_blocklength", "is_active")
    return all(hasattr(m, a) for a in attrs) and not m._byteids


def term_weights(reader: Any, fieldname: str, text: str, docnums: list[int]) -> dict[int, float]:
    """The weight (term frequency) of ``text`` in ``fieldname`` for each of ``docnums`` (sorted) holding
    it. Only the blocks that can hold one of them are decoded; a block is skipped on its header's last id.
    """
    out: dict[int, float] = {}
    for sub, offset in reader.leaf_readers():
        lo = bisect_left(docnums, offset)
        hi = bisect_right(docnums, offset + sub.doc_count_all() - 1)
        if lo == hi:
            continue
        try:
            m = sub.postings(fieldname, text)
        except TermNotFound:
            continue
        raw = m.child if isinstance(m, wrappers.FilterMatcher) else m
        local = [d - offset for d in docnums[lo:hi]]
        if not _is_block_matcher(raw):
            for d in local:
                if not m.is_active():
                    break
                m.skip_to(d)
                if m.is_active() and m.id() == d:
                    out[d + offset] = m.weight()
            continue
        for d in local:
            while raw.is_active() and raw._maxid < d:
                raw._next_block()
            if not raw.is_active():
                break
            if raw._data is None:
                raw._read_data()
            ids = list(accumulate(raw._data[0]))
            i = bisect_left(ids, d)
            if i < len(ids) and ids[i] == d:
                w = raw._data[1]
                out[d + offset] = 1.0 if w is None else w if isinstance(w, float) else w[i]
    return out
