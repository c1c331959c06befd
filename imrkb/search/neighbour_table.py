"""The neighbour table: every decision's most similar decisions, kept on disk and updated exactly.

``<root>/.imrkb/neighbours/table.npz`` holds, per decision, its record path, content key
(:func:`.profiles.content_key`), file size and modification time, signature and neighbour list (ids and
integer similarities, so its k-th score too), and the corpus's term frequencies when the table was made.
It is written to a temporary file and renamed over the old one (readers see the old table or the new),
carries :data:`FORMAT` and the scoring parameters (a table of another version or other parameters is
rebuilt), and an update holds ``LOCK`` so two writers never interleave.

**What "exact" means here.** Inverse document frequencies are *frozen* when the table is made: every
signature, old or new, is weighted with the term counts of the corpus as it was then (a term that corpus
did not have counts as seen once). Under that definition :func:`update_neighbours` is exact: after any
added, changed or removed records its table equals :func:`compute` over the current records with the
same frozen counts. Once the records added, changed or removed since the table was made exceed
:data:`REBUILD_SHARE` of the corpus it was made from, the next update rebuilds it with fresh counts.

**How an update stays exact.** Let T be the records added, changed or removed. Decision Y's list can
change only (a) if it lists a changed or removed decision (its score changed or it is gone, and the
(k+1)-th must come in): such Ys are recomputed, as are the added and changed decisions themselves; or
(b) if an added or changed X now beats Y's k-th: one scoring of X against every decision
(:meth:`.neighbours.SignatureIndex.scores`, similarity being symmetric) finds those Ys, and X is merged
into their lists. Every other list is the same as before.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import oslock
from ..catalog import load_catalog
from ..errors import ImrkbError
from ..models import Decision
from ..records import read_record
from ..takedown import load_ledger
from . import profiles
from .documents import null_chapters
from .neighbours import K, SignatureIndex, beats, merge

#: Bumped whenever the file layout changes: another format is rebuilt.
FORMAT = 1
#: Rebuild with fresh term counts once this share of the corpus (as it was when the table was made) has
#: been added, changed or removed since.
REBUILD_SHARE = 0.10
#: When one update touches more than this share of the decisions, every list is recomputed (with the
#: same frozen counts, so the result is the same; it is only quicker than merging so many).
RECOMPUTE_SHARE = 0.05
#: Below this many decisions a full computation stays in one process.
PARALLEL_MIN = 2000

FILE = "table.npz"
LOCK = "LOCK"

Say = Callable[[str], None]


class NeighbourTableBusy(ImrkbError):
    """Another process is updating the neighbour table."""

    exit_code = 75


def table_home(root: Path) -> Path:
    """``<root>/.imrkb/neighbours``."""
    return Path(root) / ".imrkb" / "neighbours"


def parameters() -> dict[str, Any]:
    """Everything that decides the scores: a stored table made with other values is rebuilt."""
    return {
        "format": FORMAT,
        "k": K,
        "signature": profiles.SIGNATURE,
        "scale": profiles.SCALE,
        "weights": [profiles.ITEM, profiles.REQUEST, profiles.RATIONALE, profiles.CITATION],
    }


@dataclass
class Record:
    """One decision as the table knows it."""

    id: str
    path: str
    key: str
    size: int = -1  # of the record file; -1 when the record came from the caller, not from disk
    mtime_ns: int = -1


@dataclass
class Frequencies:
    """Term counts frozen when a table is made: ``idf`` of every signature comes from these."""

    total: int
    df: dict[str, int]
    drift: int = 0  # records added, changed or removed since

    def weight(self, term: str) -> float:
        return profiles.idf(self.total, self.df.get(term, 1))

    @classmethod
    def of(cls, terms: Iterable[Mapping[str, float]]) -> Frequencies:
        df: Counter[str] = Counter()
        n = 0
        for t in terms:
            df.update(t.keys())
            n += 1
        return cls(n, dict(df))


class NeighbourTable(Mapping[str, list[tuple[str, float]]]):
    """``table[id]``: that decision's neighbours as ``(other id, similarity 0..1)``, best first."""

    def __init__(
        self,
        records: dict[str, Record],
        index: SignatureIndex,
        lists: dict[str, list[tuple[str, int]]],
        freq: Frequencies,
    ) -> None:
        self.records = records
        self.index = index
        self.lists = lists  # integer similarities
        self.freq = freq

    def __getitem__(self, decision_id: str) -> list[tuple[str, float]]:
        return [(d, profiles.as_float(s)) for d, s in self.lists[decision_id]]

    def __iter__(self) -> Iterator[str]:
        return iter(self.index.ids)

    def __len__(self) -> int:
        return len(self.index.ids)

    def kth(self, decision_id: str) -> float:
        """The k-th (last) score of the decision's list; 0 when it has fewer than :data:`K`."""
        listed = self.lists[decision_id]
        return profiles.as_float(listed[-1][1]) if len(listed) >= K else 0.0

    def path(self, decision_id: str) -> str:
        return self.records[decision_id].path

    def signature(self, decision_id: str) -> profiles.Signature:
        return self.index.signature(self.index.number[decision_id])

    def ranked(self, decision_id: str, limit: int) -> list[tuple[str, int]]:
        """The best ``limit`` (any number, not only :data:`K`) with integer similarities."""
        if limit <= K or len(self.lists[decision_id]) < K:
            return self.lists[decision_id][:limit]
        i = self.index.number[decision_id]
        return [(self.index.ids[j], s) for j, s in self.index.top(i, limit)]


@dataclass
class NeighbourUpdate:
    """What :func:`update_neighbours` did: the table, and the decisions whose neighbour list changed."""

    table: NeighbourTable
    changed: set[str]
    full: bool
    reason: str
    added: int = 0
    modified: int = 0
    removed: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        kind = "rebuilt" if self.full else "updated"
        return (
            f"neighbour table {kind} ({self.reason}): {len(self.table):,} decisions; {self.added:,} added, "
            f"{self.modified:,} changed, {self.removed:,} removed; {len(self.changed):,} lists changed; "
            f"{self.seconds:.1f} s"
        )


# -- the records now ---------------------------------------------------------------------------------


@dataclass
class _Now:
    record: Record
    decision: Decision | None = None  # given by the caller
    terms: dict[str, float] | None = None  # computed when needed (a read record has them at once)


def _relative(root: Path, path: str | Path) -> str:
    p = Path(path)
    if not p.is_absolute():
        return p.as_posix()
    try:
        return p.resolve().relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return p.as_posix()


def _add(now: dict[str, _Now], item: _Now) -> None:
    d = item.record.id
    if d in now:
        raise ImrkbError(f"{item.record.path}: decision {d} is also in {now[d].record.path}")
    now[d] = item


def _from_caller(
    root: Path, records: Iterable[tuple[str, Decision]], old: NeighbourTable | None
) -> dict[str, _Now]:
    """The caller's decisions; one whose path and content key are the table's keeps the file size and
    time the table had for it (so a later scan of the folder need not read it again)."""
    now: dict[str, _Now] = {}
    for path, d in records:
        rec = Record(d.id, _relative(root, path), profiles.content_key(d))
        was = old.records.get(d.id) if old else None
        if was is not None and (was.path, was.key) == (rec.path, rec.key):
            rec = was
        _add(now, _Now(rec, d))
    return now


def _read_range(span: tuple[int, int]) -> list[tuple[str, str, dict[str, float]] | str]:
    """Read records: ``(id, content key, terms)`` each, or the problem as one line."""
    out: list[tuple[str, str, dict[str, float]] | str] = []
    for i in range(*span):
        path, rel = _WORK["paths"][i]
        try:
            d = read_record(path)
        except (OSError, KeyError, ValueError, TypeError, AttributeError) as e:
            out.append(f"{rel}: cannot read the record ({type(e).__name__}: {e}); run `imrkb validate`")
            continue
        out.append((d.id, profiles.content_key(d), profiles.decision_terms(d, _WORK["unnumbered"])))
    return out


def _scan(base: Path) -> Iterator[tuple[str, str, os.stat_result]]:
    """``(path relative to the root, path, stat)`` of every ``<year>/<id>.yaml`` under ``base`` (the
    ``decisions`` folder), sorted; names starting with a dot are skipped. Strings, not Paths: 100,000
    Path objects cost seconds to sort."""
    with os.scandir(base) as years:
        folders = sorted(e.name for e in years if e.is_dir() and not e.name.startswith("."))
    for year in folders:
        with os.scandir(base / year) as files:
            entries = sorted(
                (e.name, e.path)
                for e in files
                if e.name.endswith(".yaml") and not e.name.startswith(".") and e.is_file()
            )
        for name, path in entries:
            yield f"{base.name}/{year}/{name}", path, os.stat(path)


def _from_disk(root: Path, old: NeighbourTable | None, jobs: int) -> dict[str, _Now]:
    """Every record under ``decisions/<year>/`` except taken-down ones; files whose size and modification
    time match the table's are not read, the others are read (in ``jobs`` processes when many)."""
    base = root / "decisions"
    if not base.is_dir():
        raise ImrkbError(f"{base}: no decisions folder (is --root the corpus root?)")
    removed = load_ledger(root)
    known = {r.path: r for r in old.records.values()} if old else {}
    now: dict[str, _Now] = {}
    todo: list[tuple[Path, str]] = []
    stats: list[os.stat_result] = []
    for rel, path, st in _scan(base):
        stem = rel.rsplit("/", 1)[-1][: -len(".yaml")]
        if stem in removed:
            continue
        seen = known.get(rel)
        if seen and seen.size == st.st_size and seen.mtime_ns == st.st_mtime_ns and seen.id == stem:
            _add(now, _Now(seen))
        else:
            todo.append((Path(path), rel))
            stats.append(st)
    read = _map(_read_range, len(todo), jobs, paths=todo, unnumbered=_unnumbered())
    for (_, rel), st, got in zip(todo, stats, read, strict=True):
        if isinstance(got, str):
            raise ImrkbError(got)
        ident, key, terms = got
        if ident not in removed:
            _add(now, _Now(Record(ident, rel, key, st.st_size, st.st_mtime_ns), terms=terms))
    return now


# -- computing ---------------------------------------------------------------------------------------

_WORK: dict[str, Any] = {}  # what forked workers read (inherited, never pickled)


def _unnumbered() -> dict[str, str]:
    return null_chapters(load_catalog())


def _terms_range(span: tuple[int, int]) -> list[dict[str, float]]:
    items, unnumbered = _WORK["items"], _WORK["unnumbered"]
    return [profiles.decision_terms(items[i].decision, unnumbered) for i in range(*span)]


def _signatures_range(span: tuple[int, int]) -> list[profiles.Signature]:
    terms, freq = _WORK["terms"], _WORK["freq"]
    return [profiles.signature(terms[i], freq.weight) for i in range(*span)]


def _top_range(span: tuple[int, int]) -> list[list[tuple[int, int]]]:
    index = _WORK["index"]
    return [index.top(i) for i in range(*span)]


def _spans(n: int, jobs: int) -> list[tuple[int, int]]:
    step = max(1, min(2000, -(-n // (jobs * 4))))
    return [(a, min(n, a + step)) for a in range(0, n, step)]


def _map(fn: Callable[[tuple[int, int]], list[Any]], n: int, jobs: int, **work: Any) -> list[Any]:
    """``fn`` over ``range(n)`` in spans, in ``jobs`` forked processes that inherit ``work``."""
    _WORK.clear()
    _WORK.update(work)
    try:
        spans = _spans(n, jobs)
        if jobs <= 1 or n < PARALLEL_MIN or "fork" not in multiprocessing.get_all_start_methods():
            return [x for s in spans for x in fn(s)]
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            return [x for part in pool.imap(fn, spans) for x in part]
    finally:
        _WORK.clear()


def _ensure_terms(root: Path, items: list[_Now], jobs: int) -> None:
    """Fill in the terms of ``items`` that have none yet (reading the record when it was not given)."""
    need = [i for i in items if i.terms is None]
    given = [i for i in need if i.decision is not None]
    for item, terms in zip(
        given, _map(_terms_range, len(given), jobs, items=given, unnumbered=_unnumbered()), strict=True
    ):
        item.terms = terms
    unread = [i for i in need if i.decision is None]
    paths = [(root / i.record.path, i.record.path) for i in unread]
    for item, got in zip(
        unread, _map(_read_range, len(paths), jobs, paths=paths, unnumbered=_unnumbered()), strict=True
    ):
        if isinstance(got, str):
            raise ImrkbError(got)
        item.terms = got[2]


def compute(
    root: Path, now: dict[str, _Now], freq: Frequencies | None = None, *, jobs: int = 2
) -> NeighbourTable:
    """The table of ``now`` from scratch; term counts from ``freq`` (frozen) or from ``now`` (fresh)."""
    ids = sorted(now)
    items = [now[d] for d in ids]
    _ensure_terms(root, items, jobs)
    terms = [i.terms for i in items]
    if freq is None:
        freq = Frequencies.of(t for t in terms if t is not None)
    sigs = _map(_signatures_range, len(ids), jobs, terms=terms, freq=freq)
    del terms
    index = SignatureIndex.from_signatures(dict(zip(ids, sigs, strict=True)))
    tops = _map(_top_range, len(ids), jobs, index=index)
    lists = {d: [(index.ids[j], s) for j, s in tops[i]] for i, d in enumerate(index.ids)}
    return NeighbourTable({d: now[d].record for d in ids}, index, lists, freq)


def _incremental(
    root: Path,
    old: NeighbourTable,
    now: dict[str, _Now],
    added: set[str],
    modified: set[str],
    removed: set[str],
    jobs: int,
) -> NeighbourTable:
    """``old`` brought up to ``now`` exactly (see the module docs)."""
    fresh = added | modified
    _ensure_terms(root, [now[d] for d in sorted(fresh)], jobs)
    new_sigs = {d: profiles.signature(now[d].terms or {}, old.freq.weight) for d in sorted(fresh)}
    index = old.index.replaced(removed | modified, new_sigs)
    gone = modified | removed
    lists: dict[str, list[tuple[str, int]]] = {}
    redo = set(fresh)
    for d in index.ids:
        if d in fresh:
            continue
        listed = old.lists[d]
        if any(o in gone for o, _ in listed):
            redo.add(d)
        else:
            lists[d] = listed
    if len(redo) + len(fresh) > RECOMPUTE_SHARE * max(1, len(index)):
        redo = set(index.ids)
    else:
        for x in sorted(fresh):
            s = index.scores(new_sigs[x], skip=x)
            for j in np.flatnonzero(s > 0).tolist():
                y = index.ids[j]
                if y in redo or y in fresh:
                    continue
                entry = (x, int(s[j]))
                if beats(entry, lists[y]):
                    lists[y] = merge(lists[y], [entry])
    for d in sorted(redo):
        lists[d] = [(index.ids[j], s) for j, s in index.top(index.number[d])]
    records = {d: now[d].record for d in index.ids}
    freq = Frequencies(
        old.freq.total, old.freq.df, old.freq.drift + len(added) + len(modified) + len(removed)
    )
    return NeighbourTable(records, index, lists, freq)


# -- storage -----------------------------------------------------------------------------------------


def _blob(value: Any) -> np.ndarray:
    return np.frombuffer(json.dumps(value, ensure_ascii=False).encode("utf-8"), np.uint8)


def _unblob(a: np.ndarray) -> Any:
    return json.loads(a.tobytes().decode("utf-8"))


def save(table: NeighbourTable, path: Path) -> None:
    """Write ``table`` to ``path`` atomically (temporary file, fsync, rename)."""
    ix = table.index
    n = len(ix)
    nb_ids = np.full((n, K), -1, np.int32)
    nb_scores = np.zeros((n, K), np.int64)
    for i, d in enumerate(ix.ids):
        for j, (o, s) in enumerate(table.lists[d]):
            nb_ids[i, j] = ix.number[o]
            nb_scores[i, j] = s
    recs = [[r.id, r.path, r.key, r.size, r.mtime_ns] for r in (table.records[d] for d in ix.ids)]
    meta = {**parameters(), "total": table.freq.total, "drift": table.freq.drift}
    arrays = {
        "meta": _blob(meta),
        "records": _blob(recs),
        "df": _blob(table.freq.df),
        "terms": _blob(ix.terms),
        "indptr": ix.indptr,
        "cols": ix.cols,
        "vals": ix.vals,
        "nb_ids": nb_ids,
        "nb_scores": nb_scores,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class TableUnusable(Exception):
    """The stored table cannot be used (missing, damaged, or of another version); says why."""


def load(path: Path) -> NeighbourTable:
    """The stored table; :class:`TableUnusable` saying why when it is missing, damaged or outdated."""
    if not path.exists():
        raise TableUnusable("there is none yet")
    try:
        with path.open("rb") as f, np.load(f, allow_pickle=False) as z:  # closed even when damaged
            meta = _unblob(z["meta"])
            want = parameters()
            if {k: meta.get(k) for k in want} != want:
                raise TableUnusable(
                    f"it was made with format {meta.get('format')} and other scoring parameters"
                )
            recs = _unblob(z["records"])
            df = _unblob(z["df"])
            terms = _unblob(z["terms"])
            indptr, cols, vals = z["indptr"], z["cols"], z["vals"]
            nb_ids, nb_scores = z["nb_ids"], z["nb_scores"]
    except TableUnusable:
        raise
    except Exception as e:  # a damaged zip, array or JSON blob: any of numpy's, zipfile's or json's errors
        raise TableUnusable(f"it is damaged ({type(e).__name__}: {str(e)[:120]})") from None
    try:
        ids = [r[0] for r in recs]
        n = len(ids)
        if (
            ids != sorted(ids)
            or indptr.shape != (n + 1,)
            or int(indptr[-1]) != len(cols)
            or len(cols) != len(vals)
            or nb_ids.shape != (n, K)
            or nb_scores.shape != (n, K)
            or (len(cols) and (int(cols.max()) >= len(terms) or int(cols.min()) < 0))
            or int(nb_ids.max(initial=-1)) >= n
        ):
            raise ValueError("its arrays do not fit together")
        index = SignatureIndex(ids, terms, indptr, cols.astype(np.int64), vals.astype(np.int64))
        records = {r[0]: Record(r[0], r[1], r[2], int(r[3]), int(r[4])) for r in recs}
        lists = {
            d: [
                (ids[j], int(s))
                for j, s in zip(nb_ids[i].tolist(), nb_scores[i].tolist(), strict=True)
                if j >= 0
            ]
            for i, d in enumerate(ids)
        }
        freq = Frequencies(int(meta["total"]), {str(k): int(v) for k, v in df.items()}, int(meta["drift"]))
    except (ValueError, TypeError, IndexError, KeyError) as e:
        raise TableUnusable(f"it is damaged ({type(e).__name__}: {str(e)[:120]})") from None
    return NeighbourTable(records, index, lists, freq)


# -- the update --------------------------------------------------------------------------------------


def update_neighbours(
    root: Path,
    records: Iterable[tuple[str, Decision]] | None = None,
    *,
    jobs: int = 2,
    full: bool = False,
    say: Say | None = None,
) -> NeighbourUpdate:
    """Bring ``<root>/.imrkb/neighbours/table.npz`` up to date and return it with the changed lists.

    ``records``: ``(path, decision)`` of every current decision (the site build has them read already;
    paths relative to ``root`` or absolute); ``None`` scans ``<root>/decisions/`` (skipping taken-down
    decisions), reading only files whose size or modification time changed. ``full``: rebuild with fresh
    term counts. ``say`` gets one line when the table is rebuilt and why (a damaged table, say).
    ``changed`` holds every decision whose list (ids or scores) differs from the stored table's, and
    every added decision; removed decisions are not in the table any more.
    """
    started = time.monotonic()
    root = Path(root)
    home = table_home(root)
    path = home / FILE
    try:
        with oslock.exclusive(home / LOCK):
            return _update(root, path, records, jobs, full, say, started)
    except oslock.LockBusy as e:
        raise NeighbourTableBusy(
            f"{home}: the neighbour table is being updated by another process{e.who}; try again when it "
            "finishes"
        ) from None


def _update(
    root: Path,
    path: Path,
    records: Iterable[tuple[str, Decision]] | None,
    jobs: int,
    full: bool,
    say: Say | None,
    started: float,
) -> NeighbourUpdate:
    old: NeighbourTable | None = None
    reason = "asked for a full rebuild"
    if not full:
        try:
            old = load(path)
        except TableUnusable as e:
            reason = f"the stored table cannot be used: {e}" if path.exists() else "no table yet"
            if say and path.exists():
                say(f"neighbour table {path} cannot be used: {e}; rebuilding it from the records")
    now = _from_caller(root, records, old) if records is not None else _from_disk(root, old, jobs)
    added, modified, removed = set(now), set(), set()
    if old is not None:
        added = set(now) - set(old.records)
        removed = set(old.records) - set(now)
        modified = {d for d in set(now) & set(old.records) if now[d].record.key != old.records[d].key}
        drift = old.freq.drift + len(added) + len(modified) + len(removed)
        if drift <= REBUILD_SHARE * max(1, old.freq.total):
            if added or modified or removed:
                table = _incremental(root, old, now, added, modified, removed, jobs)
            else:
                table = NeighbourTable({d: now[d].record for d in now}, old.index, old.lists, old.freq)
            if removed or any(table.records[d] != old.records.get(d) for d in table.records):
                save(table, path)
            changed = {d for d in table.lists if table.lists[d] != old.lists.get(d)}
            return NeighbourUpdate(
                table,
                changed,
                False,
                "incremental",
                len(added),
                len(modified),
                len(removed),
                time.monotonic() - started,
            )
        reason = (
            f"{drift:,} records added, changed or removed since it was made, over {REBUILD_SHARE:.0%} of "
            f"its {old.freq.total:,}: fresh term counts"
        )
        if say:
            say(f"neighbour table: rebuilding ({reason})")
    table = compute(root, now, jobs=jobs)
    save(table, path)
    before = old.lists if old is not None else {}
    changed = {d for d in table.lists if d not in before or table.lists[d] != before[d]}
    return NeighbourUpdate(
        table, changed, True, reason, len(added), len(modified), len(removed), time.monotonic() - started
    )
