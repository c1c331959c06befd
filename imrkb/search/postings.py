"""Reading a term's whole posting list as document numbers (a list, a set or a bitmap), a block at a time.

Whoosh's generic way (``Searcher.docs_for_query``) walks the postings one document at a time through
several Python calls each; for a term in tens of thousands of documents that dominates a query. The
Whoosh 3 codec keeps postings in blocks of document ids; this module takes each block's ids whole. It
relies on that codec's block reader (``_read_ids``/``_next_block``) and falls back to the generic walk for
any other matcher, so a different codec is slower, never wrong (tests compare both ways).
"""

from __future__ import annotations

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
