"""Build and update the precedent index from ``<root>/decisions/**/*.yaml``.

Incremental: a record whose content hash (sha256 of the file) is unchanged is not re-read; changed and new
records are re-indexed, deleted ones removed. Every run that changes something writes a new version folder
beside the live one and swaps it in (see :mod:`imrkb.search.store`). A large change (or ``full=True``, or a
format change) rebuilds from scratch with several processes.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from whoosh import index as windex
from whoosh.writing import NO_MERGE, SegmentWriter

from .. import pii
from ..catalog import Catalog, load_catalog
from ..models import Decision
from ..progress import Progress
from ..records import from_dict, load_yaml_text
from . import store
from .documents import Labels, decision_documents, labels_of
from .schema import INDEX_FORMAT, build_schema

#: Rebuild from scratch when more than this share of the records changed (cheaper than deleting).
FULL_REBUILD_SHARE = 0.5
#: Below this many records a full build stays in one process (starting workers costs more).
PARALLEL_MIN_RECORDS = 2000
#: Memory per Whoosh writer (MB) before it spills sorted runs to disk; spilling pickles every posting and
#: costs about 40% more time, so full builds commit in batches small enough to stay under it.
WRITER_MB = 1024
#: Items per writer process in one batch of a full build (about 600 MB of postings in memory).
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


def parse_record(rel: str, data: bytes) -> Decision:
    """The decision in a record file's bytes; :class:`ValueError` with ``path[:line]: problem`` otherwise."""
    try:
        raw = load_yaml_text(data.decode("utf-8"))
    except UnicodeDecodeError as e:
        raise ValueError(f"{rel}: not UTF-8 text (byte {e.start})") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{rel}:{mark.line + 1}" if mark is not None else rel
        raise ValueError(f"{where}: YAML syntax error: {getattr(e, 'problem', None) or e}") from None
    if not isinstance(raw, dict):
        raise ValueError(f"{rel}: not a decision record (expected a mapping)")
    try:
        return from_dict(raw)
    except KeyError as e:
        raise ValueError(f"{rel}: missing field {e.args[0]} (run `imrkb validate`)") from None
    except (TypeError, ValueError, AttributeError) as e:
        raise ValueError(f"{rel}: malformed record: {e} (run `imrkb validate`)") from None


@dataclass
class _Plan:
    todo: dict[str, tuple[bytes, dict[str, Any]]]  # rel -> (bytes, new manifest entry sans items/id)
    keep: dict[str, dict[str, Any]]  # rel -> manifest entry carried over unchanged
    removed: list[str]
    changed: set[str]


def _entry(st: os.stat_result, sha: str) -> dict[str, Any]:
    return {"sha256": sha, "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _plan(files: dict[str, Path], old: store.Manifest | None, full: bool) -> _Plan:
    """Which records to (re)index: unchanged ``size``+``mtime`` skips reading, else the hash decides."""
    prev = old.files if old else {}
    todo: dict[str, tuple[bytes, dict[str, Any]]] = {}
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
            todo[rel] = (data, _entry(st, sha))
    removed = sorted(set(prev) - set(files))
    changed = {rel for rel in todo if rel in prev}
    return _Plan(todo, keep, removed, changed)


def _can_fork() -> bool:
    """Sub-writers are forked: spawned ones would re-run the caller's ``__main__``, and forking a process
    that runs other threads is unsafe (and deprecated), so parallel builds need a single-threaded caller.
    """
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def _make_writer(ix: Any, procs: int) -> Any:
    """A writer for one batch of a full build: ``procs`` sub-writer processes when that is safe."""
    if procs > 1 and _can_fork():
        from whoosh.multiproc import MpWriter

        w = MpWriter(
            ix, procs=procs, batchsize=256, limitmb=WRITER_MB, multisegment=True, start_method="fork"
        )
        for _ in range(procs):  # all forks before the job queue starts its feeder thread
            w._new_task()
        return w
    return SegmentWriter(ix, limitmb=WRITER_MB)


def _commit_batch(writer: Any) -> None:
    writer.commit(mergetype=NO_MERGE)
    for q in (getattr(writer, "jobqueue", None), getattr(writer, "resultqueue", None)):
        if q is not None:  # stop the queues' feeder threads now, so the next batch can fork again
            q.close()
            q.join_thread()


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


def _documents(
    plan: _Plan, catalog: Catalog, labels: Labels, progress: Progress | None
) -> Iterator[tuple[str, dict[str, Any], list[dict[str, Any]]]]:
    """Parse each record to index: ``(rel, manifest entry, documents)``; a failure is noted in the entry."""
    for rel, (data, entry) in plan.todo.items():
        try:
            d = parse_record(rel, data)
        except ValueError as e:
            yield rel, {**entry, "error": str(e), "items": 0}, []
        else:
            blocked = pii.unresolved(d)
            if blocked:  # the site's personal-data gate: what the site may not publish, search may not show
                kinds = ", ".join(sorted({f.kind for _, f in blocked}))
                problem = f"{rel}: withheld: unresolved personal data ({kinds}); see `imrkb validate`"
                yield rel, {**entry, "error": problem, "items": 0}, []
                if progress:
                    progress.advance()
                continue
            docs = decision_documents(d, rel, catalog)
            labels_of(docs, labels)
            yield rel, {**entry, "id": d.id, "items": len(docs)}, docs
        if progress:
            progress.advance()


def update_index(
    root: Path,
    *,
    full: bool = False,
    procs: int | None = None,
    progress: bool = True,
    catalog: Catalog | None = None,
    batch_items: int = BATCH_ITEMS,
    parallel_min_records: int = PARALLEL_MIN_RECORDS,
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
            docs = _documents(plan, catalog, labels, bar)
            if rebuild:
                ix = windex.create_in(str(folder), build_schema())
                use = procs if len(plan.todo) >= parallel_min_records else 1
                batch = 0
                for rel, entry, item_docs in docs:
                    if writer is None:
                        writer = _make_writer(ix, use)
                    for doc in item_docs:
                        writer.add_document(**doc)
                    batch += len(item_docs)
                    manifest.files[rel] = entry
                    if batch >= batch_items * use:
                        _commit_batch(writer)
                        writer, batch = None, 0
                if writer is not None:
                    _commit_batch(writer)
                    writer = None
            else:
                assert live is not None and old is not None
                store.clone_version(live, folder)
                for kind, table in old.labels.items():
                    getattr(labels, kind).update(table)
                ix = windex.open_dir(str(folder))
                writer = SegmentWriter(ix, limitmb=WRITER_MB)
                for rel in [*plan.removed, *sorted(plan.changed)]:
                    writer.delete_by_term("path", rel)
                for rel, entry, item_docs in docs:
                    for doc in item_docs:
                        writer.add_document(**doc)
                    manifest.files[rel] = entry
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
