"""A build's cache of parsed records and their personal-data verdicts, so a rebuild parses only what changed.

Reading a record costs a YAML parse (~1 ms) and the personal-data scan (~1 ms) on every build; a
rebuild after one changed decision would pay both for every record. The cache keeps, per record file,
the parsed :class:`~imrkb.models.Decision`, the build's personal-data findings and the record's lines of
the bulk downloads (JSON Lines and CSV, so a rebuild writes them without reading every record), keyed by
the file's
size, modification and change times (nanoseconds) and inode: any write, rename over or touch of a record
reads it afresh (as ``make`` and git's index judge files). The whole cache is dropped when the code or
data that made its entries changes (:func:`fingerprint`: the record model and reader, the personal-data
scanner and its patterns). It lives in ``ROOT/.imrkb/build-cache/`` (one SQLite file per corpus root, so
parallel shard builds never share one) and is never published.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import sqlite3
from pathlib import Path

from ..models import Decision
from .exports import csv_text, jsonl_line

#: Sources whose change makes every cached entry stale.
_SOURCES = ("models.py", "records.py", "pii.py", "categories.py", "site/exports.py", "site/recordcache.py")
_DATA = ("pii.yaml", "categories.yaml")


@functools.lru_cache(maxsize=1)
def fingerprint() -> str:
    """A digest of the code and data the cached values come from."""
    pkg = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for p in [pkg / n for n in _SOURCES] + [pkg.parent / "guidelines" / n for n in _DATA]:
        h.update(p.name.encode() + b"\0" + (p.read_bytes() if p.is_file() else b"-") + b"\0")
    return h.hexdigest()[:32]


def stamp(st: os.stat_result) -> str:
    """What identifies one version of a file without reading it."""
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}:{st.st_ino}"


def cache_path(root: Path) -> Path:
    """The cache file of the corpus root ``root``."""
    name = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:16]
    return root / ".imrkb" / "build-cache" / f"{name}.sqlite"


def _entry(db: sqlite3.Connection, file: str, st: os.stat_result) -> tuple[Decision, list[str]] | None:
    """The cached record and findings of ``file`` in ``db`` if the file is unchanged (same :func:`stamp`)."""
    row = db.execute("SELECT stamp, data FROM entries WHERE file = ?", (file,)).fetchone()
    if row is None or row[0] != stamp(st):
        return None
    try:
        return pickle.loads(row[1])
    except Exception:  # an entry from another version of a class: read the file again
        return None


class RecordCache:
    """``get``/``put`` parsed records by file; :meth:`close` keeps only the files seen this build."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        try:
            self.db = self._open()
        except sqlite3.DatabaseError:  # a damaged file: start again
            path.unlink(missing_ok=True)
            self.db = self._open()
        self.seen: set[str] = set()
        self.hits = self.misses = 0

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        db.execute("DROP TABLE IF EXISTS records")  # the table of an older cache, without the lines
        db.execute(
            "CREATE TABLE IF NOT EXISTS entries "
            "(file TEXT PRIMARY KEY, stamp TEXT, data BLOB, jsonl TEXT, csv TEXT)"
        )
        row = db.execute("SELECT value FROM meta WHERE key = 'fingerprint'").fetchone()
        if row is None or row[0] != fingerprint():
            db.execute("DELETE FROM entries")
            db.execute("INSERT OR REPLACE INTO meta VALUES ('fingerprint', ?)", (fingerprint(),))
        db.execute("BEGIN")
        return db

    def get(self, file: str, st: os.stat_result) -> tuple[Decision, list[str]] | None:
        """The cached record and findings of ``file`` if it is unchanged, else ``None``."""
        self.seen.add(file)
        found = _entry(self.db, file, st)
        if found is None:
            self.misses += 1
        else:
            self.hits += 1
        return found

    def put(self, file: str, st: os.stat_result, d: Decision, blocked: list[str]) -> None:
        self.seen.add(file)
        data = pickle.dumps((d, blocked), protocol=pickle.HIGHEST_PROTOCOL)
        row = (file, stamp(st), data, jsonl_line(d), csv_text(d))
        self.db.execute("INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?, ?)", row)

    def lines(self, file: str, file_stamp: str) -> tuple[str, str] | None:
        """The JSON Lines line and CSV lines of ``file`` at ``file_stamp`` (``None``: not cached)."""
        row = self.db.execute("SELECT stamp, jsonl, csv FROM entries WHERE file = ?", (file,)).fetchone()
        return (row[1], row[2]) if row is not None and row[0] == file_stamp else None

    def close(self, *, prune: bool = True, keep: set[str] | None = None) -> None:
        """Commit; with ``prune``, forget files not in ``keep`` (default: not seen since this cache was
        opened): deleted records."""
        if prune:
            keep = self.seen if keep is None else keep
            gone = [f for (f,) in self.db.execute("SELECT file FROM entries") if f not in keep]
            self.db.executemany("DELETE FROM entries WHERE file = ?", [(f,) for f in gone])
        self.db.execute("COMMIT")
        self.db.close()


def build_caches(root: Path) -> list[Path]:
    """The record caches of the builds of ``root``: its own and its year shards' (``imrkb build --shards``
    keeps one per shard in ``ROOT/.imrkb/shards/YEAR/``), those that exist."""
    own = cache_path(root)
    shards = sorted((root / ".imrkb" / "shards").glob("*/build-cache/*.sqlite"))
    return [p for p in [own, *shards] if p.is_file()]


class CachedRecords:
    """Read-only look-ups of parsed records in build caches, for the precedent index
    (:data:`imrkb.search.reading.RecordLookup`): ``lookup(rel, stat)`` is the record of the file ``rel``
    when a cache holds it at that stat with no blocking personal-data findings, else ``None``.

    Caches made by other code (another :func:`fingerprint`) are not used. Connections are opened by
    each process on its first look-up (a forked worker never uses its parent's)."""

    def __init__(self, paths: list[Path]) -> None:
        self.paths = list(paths)
        self._pid: int | None = None
        self._dbs: list[sqlite3.Connection] = []

    def _open(self) -> list[sqlite3.Connection]:
        if self._pid != os.getpid():
            self._pid, self._dbs = os.getpid(), []
            for p in self.paths:
                try:
                    db = sqlite3.connect(f"file:{p}?mode=ro", uri=True)
                    row = db.execute("SELECT value FROM meta WHERE key = 'fingerprint'").fetchone()
                except sqlite3.Error:
                    continue
                if row is not None and row[0] == fingerprint():
                    self._dbs.append(db)
                else:
                    db.close()
        return self._dbs

    def __call__(self, file: str, st: os.stat_result) -> Decision | None:
        for db in self._open():
            try:
                found = _entry(db, file, st)
            except sqlite3.Error:
                continue
            if found is not None:
                d, blocked = found
                return None if blocked else d
        return None
