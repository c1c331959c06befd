"""A from-scratch build of the precedent index: batches of records, each written as one segment, by
forked worker processes when there are many.

The records are cut into batches in record order; each batch is read (:mod:`.reading`: parsed, or taken
from the site build's record cache) and written as one segment by a :class:`~.segments.LeanWriter`, in
the worker that read it, so records and documents never cross a process boundary (Whoosh's own
``MpWriter`` parses in one process and pickles every document to its writers). The segments are
committed together in batch order: the index is the same whatever the number of processes.
"""

from __future__ import annotations

import multiprocessing
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from whoosh import index as windex

from ..catalog import Catalog
from ..progress import Progress
from .documents import Labels
from .reading import RecordLookup, Todo, record_documents
from .segments import LeanWriter, commit_segments

#: Items a decision holds on average (synthetic corpora: 2.35): it only sizes batches before parsing.
ITEMS_PER_RECORD = 2.5


@dataclass
class Batch:
    """What one batch became: its segment (``None``: no documents), manifest entries and labels."""

    segment: Any | None
    entries: dict[str, dict[str, Any]]
    labels: Labels


def can_fork() -> bool:
    """Workers are forked: spawned ones would re-run the caller's ``__main__``, and forking a process
    that runs other threads is unsafe (and deprecated), so parallel builds need a single-threaded caller.
    """
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def batches(todo: list[Todo], batch_items: int) -> list[list[Todo]]:
    """``todo`` in order, cut into batches of about ``batch_items`` items."""
    size = max(1, int(batch_items / ITEMS_PER_RECORD))
    return [todo[i : i + size] for i in range(0, len(todo), size)]


#: What every batch is written with: ``(index folder, catalog, lookup)``; set before workers are forked.
_JOB: tuple[str, Catalog, RecordLookup | None] | None = None


def _write(batch: list[Todo]) -> Batch:
    """Read ``batch`` and write its documents as one new segment of the index in ``_JOB``."""
    assert _JOB is not None
    folder, catalog, lookup = _JOB
    writer = LeanWriter(windex.open_dir(folder))
    labels = Labels({}, {}, {})
    entries: dict[str, dict[str, Any]] = {}
    try:
        for rel, entry, docs in record_documents(batch, catalog, labels, lookup):
            for doc in docs:
                writer.add_document(**doc)
            entries[rel] = entry
        return Batch(writer.finish(), entries, labels)
    except BaseException:
        writer.cancel()
        raise


def build(
    folder: Path,
    todo: list[Todo],
    catalog: Catalog,
    *,
    lookup: RecordLookup | None = None,
    procs: int = 1,
    batch_items: int = 10_000,
    progress: Progress | None = None,
) -> list[Batch]:
    """Write every record of ``todo`` into the new, empty index at ``folder`` and commit it; each batch's
    result in order. ``procs`` > 1 forks that many workers (when :func:`can_fork`)."""
    global _JOB
    parts = batches(todo, batch_items)
    done: list[Batch] = []
    _JOB = (str(folder), catalog, lookup)
    try:
        if procs > 1 and len(parts) > 1 and can_fork():
            with multiprocessing.get_context("fork").Pool(min(procs, len(parts))) as pool:
                for part, batch in zip(parts, pool.imap(_write, parts), strict=True):
                    done.append(batch)
                    if progress:
                        progress.advance(len(part))
        else:
            for part in parts:
                done.append(_write(part))
                if progress:
                    progress.advance(len(part))
    finally:
        _JOB = None
    commit_segments(windex.open_dir(str(folder)), [b.segment for b in done if b.segment is not None])
    return done
