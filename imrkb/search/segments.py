"""Writing Whoosh segments cheaply, and committing segments written by other processes.

This is the one module that uses Whoosh's writer internals (``SegmentWriter.pool``, ``_flush_segment``,
``_finalize_segment``, ``_close_segment``, ``_commit_toc``, ``_finish`` and the codec's length column):
Whoosh has no public way to hand it postings already in order, to give ``add_postings`` the field
lengths from memory, or to commit segments that forked processes wrote (its own ``MpWriter`` does the
last with these same methods, but feeds every document through a pickled queue and writes with the
plain pool). ``tests/test_search_segments.py`` checks that the methods are there and that a segment
written here holds exactly what a plain ``SegmentWriter`` writes; it fails when a Whoosh release
changes them.

A plain writer puts every posting ``(field, term, docnum, weight, value)`` in one list and sorts it
(about 3 million tuples per 10,000 decisions); then, for every posting, it reads the document's field
length back from the file it just wrote. :class:`LeanWriter` groups postings by term as they come
(documents are added in docnum order, so each term's postings are already sorted) and sorts only the
terms, and reads each length column once. A decision's own fields (its summary, path, reviewer) are
the same on each of its items, so each field's terms of the last value are kept and reused when the
next document repeats it (the summary is the longest text indexed). The segment it writes is the same,
byte for byte.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from whoosh.codec import whoosh3
from whoosh.util.numeric import byte_to_length
from whoosh.writing import SegmentWriter

from .fastterms import terms_function

#: Whoosh names this module relies on (the test checks each exists).
WRITER_METHODS = ("_flush_segment", "_finalize_segment", "_close_segment", "_commit_toc", "_finish")

Posting = tuple[str, bytes, int, float, Any]

_BYTE_LENGTHS: list[int | None] = [None] + [byte_to_length(b) for b in range(1, 256)]


class TermGroups:
    """The postings of one segment grouped by ``(field, term)``, in the order documents were added.

    Stands in for Whoosh's ``PostingPool`` (``add``, ``iter_postings``, ``cleanup``, ``fieldnames``);
    it never spills to disk, so a caller bounds its size (a batch of documents per segment).
    """

    def __init__(self) -> None:
        self.terms: dict[tuple[str, bytes], list[tuple[int, float, Any]]] = {}
        self.fieldnames: set[str] = set()

    def add(self, item: Posting) -> None:
        fieldname, tbytes, docnum, weight, vbytes = item
        postings = self.terms.get((fieldname, tbytes))
        if postings is None:
            postings = self.terms[(fieldname, tbytes)] = []
            self.fieldnames.add(fieldname)
        postings.append((docnum, weight, vbytes))

    def iter_postings(self) -> Iterator[Posting]:
        """Every posting sorted as Whoosh's pool sorts them: by field, term, then document."""
        for key in sorted(self.terms):
            fieldname, tbytes = key
            postings = self.terms[key]
            postings.sort(key=_docnum)  # already in order (documents come in docnum order): one pass
            for docnum, weight, vbytes in postings:
                yield fieldname, tbytes, docnum, weight, vbytes

    def cleanup(self) -> None:
        self.terms.clear()


def _docnum(p: tuple[int, float, Any]) -> int:
    return p[0]


class _Lengths:
    """Field lengths of a just-written segment, each field's length column read once into memory.

    ``FieldWriter.add_postings`` takes any object with ``doc_field_length_reader(fieldname)``; this
    one answers from a list where the codec's reader seeks and reads the file once per posting.
    """

    def __init__(self, perdoc: Any) -> None:
        self.perdoc = perdoc

    def doc_field_length_reader(self, fieldname: str, default: int = 0) -> Any:
        lenfield = whoosh3._lenfield(fieldname)
        if not self.perdoc.has_column(lenfield):
            return lambda docnum: default
        values = list(self.perdoc.column_reader(lenfield, whoosh3.LENGTHS_COLUMN))
        table, n = _BYTE_LENGTHS, len(values)

        def get(docnum: int) -> int | None:
            return table[values[docnum]] if docnum < n else None

        return get


class _LastValue:
    """A field's ``index`` (value -> its postings' terms and weights) that keeps the last text's result,
    and analyses a text with :func:`imrkb.search.fastterms.terms_function` when the field allows."""

    def __init__(self, field: Any) -> None:
        self.index = field.index
        self.fast = terms_function(field)
        self.value: str | None = None
        self.terms: list[Any] = []

    def __call__(self, value: Any, **kwargs: Any) -> Any:
        if kwargs or type(value) is not str:
            return self.index(value, **kwargs)
        if value != self.value:
            self.terms = self.fast(value) if self.fast is not None else list(self.index(value))
            self.value = value
        return self.terms


class LeanWriter(SegmentWriter):
    """A ``SegmentWriter`` (without the index lock: the caller holds it) that writes one new segment
    for documents added with :meth:`add_document`; :meth:`finish` writes it and returns it."""

    def __init__(self, ix: Any) -> None:
        super().__init__(ix, _lk=False)
        self.pool = TermGroups()
        for name in self.schema.names():  # this writer's own copy of the schema (read from the TOC)
            field = self.schema[name]
            if field.indexed:
                field.index = _LastValue(field)

    def add_reader(self, reader: Any) -> None:
        raise NotImplementedError("LeanWriter writes new documents only (its pool expects docnum order)")

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        perdoc = self.per_document_reader() if self.codec.length_stats else None
        lengths = _Lengths(perdoc) if perdoc is not None else None
        self.fieldwriter.add_postings(self.schema, lengths, self.pool.iter_postings())
        self.fieldwriter.close()
        if perdoc is not None:
            perdoc.close()

    def finish(self) -> Any | None:
        """Write the segment (``None`` when no document was added) and release the writer's files."""
        if not self._added:
            self._close_segment()
            return None
        segment = self._finalize_segment()
        self.pool.cleanup()
        return segment


def commit_segments(ix: Any, segments: Iterable[Any]) -> None:
    """Make ``segments`` (written by :class:`LeanWriter` s, in any process) the index's segments, after
    the ones it has, in the order given; takes the index's write lock for the commit."""
    writer = SegmentWriter(ix)
    try:
        writer._close_segment()  # the writer's own (empty) segment is never used
        writer._commit_toc([*writer.segments, *segments])
    finally:
        writer._finish()
