"""Build and update the precedent index from ``<root>/decisions/**/*.yaml``.

Incremental: a record whose content hash (sha256 of the file) is unchanged is not re-read; changed and new
records are re-indexed, deleted ones removed. Every run that changes something writes a new version folder
beside the live one and swaps it in (see :mod:`imrkb.search.store`). A large change (or ``full=True``, or a
format change) rebuilds from scratch, in batches written by several processes (:mod:`.fullbuild`). Given a
``lookup`` (the site build's record cache), records unchanged since the site build read them are not
parsed or scanned for personal data again.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from whoosh import index as windex
from whoosh.writing import SegmentWriter

from ..catalog import Catalog, load_catalog
from ..progress import Progress
from . import fullbuild, store
from .documents import Labels
from .reading import RecordLookup, Todo, parse_record, record_documents
from .schema import INDEX_FORMAT, build_schema

__all__ = ["IndexReport", "parse_record", "scan_records", "update_index"]

#: Rebuild from scratch when more than this share of the records changed (cheaper than deleting).
FULL_REBUILD_SHARE = 0.5
#: Below this many records a full build stays in one process (starting workers costs more).
PARALLEL_MIN_RECORDS = 2000
#: Memory per Whoosh writer of an incremental update (MB) before it spills sorted runs to disk.
WRITER_MB = 1024
#: Items in one batch (one segment) of a full build, held in a worker's memory until it is written.
BATCH_ITEMS = 10_000
#: Segments smaller than this are merged by incremental updates.
SMALL_SEGMENT = 5_000


@dataclass
class IndexReport:
    """What one run of :func:`update_index` did."""

    version: str
    full: bool
    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    failed: list[str] = field(default_factory=list)
    decisions: int = 0
    items: int = 0
    seconds: float = 0.0

    @property
    def touched(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    def summary(self) -> str:
        kind = "rebuilt" if self.full else "updated"
        if not self.touched and not self.full:
            kind = "up to date"
        return (
            f"index {kind} ({self.version}): {self.decisions:,} decisions, {self.items:,} items; "
            f"{self.added:,} added, {self.changed:,} changed, {self.removed:,} removed, "
            f"{self.unchanged:,} unchanged, {len(self.failed):,} failed; {self.seconds:.1f} s"
        )


def scan_records(root: Path) -> dict[str, Path]:
    """Record files under ``<root>/decisions`` by their posix path relative to ``root`` (sorted)."""
    base = root / "decisions"
    if not base.is_dir():
        return {}
    found = {}
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.endswith(".yaml") and not name.startswith("."):
                p = Path(dirpath) / name
                found[p.relative_to(root).as_posix()] = p
    return dict(sorted(found.items()))


@dataclass
class _Plan:
    todo: dict[str, Todo]  # rel -> (rel, bytes, new manifest entry sans items/id, stat if unchanged)
    keep: dict[str, dict[str, Any]]  # rel -> manifest entry carried over unchanged
    removed: list[str]
    changed: set[str]


def _entry(st: os.stat_result, sha: str) -> dict[str, Any]:
    return {"sha256": sha, "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _stamp(st: os.stat_result) -> tuple[int, int, int, int]:
    return st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino


def _plan(files: dict[str, Path], old: store.Manifest | None, full: bool) -> _Plan:
    """Which records to (re)index: unchanged ``size``+``mtime`` skips reading, else the hash decides."""
    prev = old.files if old else {}
    todo: dict[str, Todo] = {}
    keep: dict[str, dict[str, Any]] = {}
    for rel, path in files.items():
        st = path.stat()
        was = prev.get(rel)
        if not full and was and was["size"] == st.st_size and was["mtime_ns"] == st.st_mtime_ns:
            keep[rel] = was
            continue
        data = path.read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        if not full and was and was["sha256"] == sha:
            keep[rel] = {**was, **_entry(st, sha)}
        else:
            after = path.stat()  # the bytes are the version at ``st`` only if nothing wrote in between
            same = _stamp(after) == _stamp(st)
            todo[rel] = (rel, data, _entry(st, sha), st if same else None)
    removed = sorted(set(prev) - set(files))
    changed = {rel for rel in todo if rel in prev}
    return _Plan(todo, keep, removed, changed)


def merge_small(writer: Any, segments: list[Any]) -> list[Any]:
    """Merge policy for incremental updates: fold segments under :data:`SMALL_SEGMENT` documents (and
    segments that are mostly deleted) into the new one once there are three or more of them; leave big
    segments alone (merging costs as much as indexing them again).
    """
    from whoosh.reading import SegmentReader

    def small(seg: Any) -> bool:
        n = seg.doc_count_all()
        return n < SMALL_SEGMENT or seg.deleted_count() > n // 2

    chosen = [seg for seg in segments if small(seg)]
    if len(chosen) < 3 and not any(seg.deleted_count() > seg.doc_count_all() // 2 for seg in chosen):
        return segments
    for seg in chosen:
        reader = SegmentReader(writer.storage, writer.schema, seg)
        writer.add_reader(reader)
        reader.close()
    return [seg for seg in segments if not small(seg)]


def update_index(
    root: Path,
    *,
    full: bool = False,
    procs: int | None = None,
    progress: bool = True,
    catalog: Catalog | None = None,
    batch_items: int = BATCH_ITEMS,
    parallel_min_records: int = PARALLEL_MIN_RECORDS,
    lookup: RecordLookup | None = None,
) -> IndexReport:
    """Bring ``<root>/.imrkb/index`` up to date with ``<root>/decisions``; see the module docs.

    Raises :class:`~imrkb.search.store.IndexBusyError` when another process is updating the index.
    """
    t0 = time.monotonic()
    root = Path(root)
    home = store.index_home(root)
    catalog = catalog or load_catalog()
    procs = procs or min(os.cpu_count() or 1, 4)
    with store.writer_lock(home):
        live = store.current(home)
        old: store.Manifest | None = None
        if live is not None:
            try:
                old = store.Manifest.read(live)
            except (OSError, ValueError, KeyError):
                old = None
            if old is not None and old.format != INDEX_FORMAT:
                old = None
        files = scan_records(root)
        plan = _plan(files, old, full)
        rebuild = (
            old is None
            or full
            or (len(plan.todo) + len(plan.removed) > FULL_REBUILD_SHARE * max(1, len(files)))
        )
        if rebuild and plan.keep:
            plan = _plan(files, old, True)
        report = IndexReport(version=live.name if live else "-", full=rebuild)
        report.removed = len(plan.removed)
        report.changed = len(plan.changed)
        report.added = len(plan.todo) - report.changed
        report.unchanged = len(plan.keep)
        if not rebuild and not plan.todo and not plan.removed:
            assert old is not None
            report.failed = [e["error"] for e in old.files.values() if "error" in e]
            report.decisions = sum(1 for e in old.files.values() if "error" not in e)
            report.items = old.items
            report.seconds = time.monotonic() - t0
            return report

        folder = store.new_version(home)
        writer: Any = None
        try:
            manifest = store.Manifest(INDEX_FORMAT, dict(plan.keep))
            labels = Labels({}, {}, {})
            bar = Progress("indexing", total=len(plan.todo)) if progress and plan.todo else None
            if rebuild:
                windex.create_in(str(folder), build_schema())
                use = procs if len(plan.todo) >= parallel_min_records else 1
                todo = list(plan.todo.values())
                done = fullbuild.build(
                    folder, todo, catalog, lookup=lookup, procs=use, batch_items=batch_items, progress=bar
                )
                for batch in done:
                    manifest.files.update(batch.entries)
                    for kind, table in vars(batch.labels).items():
                        mine = getattr(labels, kind)
                        for k, v in table.items():
                            mine.setdefault(k, v)
            else:
                assert live is not None and old is not None
                store.clone_version(live, folder)
                for kind, table in old.labels.items():
                    getattr(labels, kind).update(table)
                ix = windex.open_dir(str(folder))
                writer = SegmentWriter(ix, limitmb=WRITER_MB)
                for rel in [*plan.removed, *sorted(plan.changed)]:
                    writer.delete_by_term("path", rel)
                for rel, entry, item_docs in record_documents(plan.todo.values(), catalog, labels, lookup):
                    for doc in item_docs:
                        writer.add_document(**doc)
                    manifest.files[rel] = entry
                    if bar:
                        bar.advance()
                writer.commit(mergetype=merge_small)
                writer = None
            if bar:
                bar.close()
            manifest.files = dict(sorted(manifest.files.items()))
            manifest.labels = {k: dict(sorted(v.items())) for k, v in vars(labels).items()}
            with windex.open_dir(str(folder)).searcher() as s:
                have = s.doc_count()
            if have != manifest.items:
                raise store.IndexMissingError(
                    f"{folder}: index holds {have} items, the records {manifest.items}; nothing was published"
                )
            (folder / store.MANIFEST).write_text(manifest.to_json(), encoding="utf-8")
            store.publish(home, folder, live)
        except BaseException:
            if writer is not None:
                writer.cancel()
            store.discard(folder)
            raise
        report.version = folder.name
        report.failed = [e["error"] for e in manifest.files.values() if "error" in e]
        report.decisions = sum(1 for e in manifest.files.values() if "error" not in e)
        report.items = manifest.items
        report.seconds = time.monotonic() - t0
        return report
