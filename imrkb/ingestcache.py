"""Ingest's cache of finished records, so ingesting an unchanged letter again costs a file read, not a parse.

An entry is the record's YAML as ingest made it (parsed, scanned for personal data, checked), keyed by
the letter's file name and bytes and by :func:`fingerprint` -- every module of the package, the
``guidelines/`` catalog and patterns, the record schema, the versions of the libraries the text goes
through, and the chapters the record was checked against. Any change to one of those misses every entry,
so a cached record is the one the current code would write. Letters that fail are not cached (their
message names the path, which the key leaves out).

Entries live in ``ROOT/.imrkb/ingest-cache/`` (never published), one file each, written atomically
without fsync: each starts with a digest of the rest, and an entry that does not match it (a crash
mid-write) is a miss. Nothing here raises on a damaged or unwritable cache; ingest just parses. A
decision taken down (``imrkb remove``) has its entries deleted (:func:`forget`), so its content is kept
nowhere; a letter ingested again after it is withheld before it is cached.
"""

from __future__ import annotations

import hashlib
import os
import platform
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

__all__ = ["Entry", "IngestCache", "cache_dir", "fingerprint", "forget"]

_PACKAGE = Path(__file__).resolve().parent
_PROJECT = _PACKAGE.parent
_LIBRARIES = ("PyYAML", "pypdfium2", "english-words", "jsonschema")


def cache_dir(root: Path) -> Path:
    """``ROOT/.imrkb/ingest-cache``."""
    return Path(root) / ".imrkb" / "ingest-cache"


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "-"


def fingerprint(chapters: Mapping[str, frozenset[str]] | None) -> str:
    """A digest of everything besides the letter that a record's bytes depend on."""
    h = hashlib.blake2b(digest_size=16)
    h.update(f"python {platform.python_version()}\0".encode())
    for name in _LIBRARIES:
        h.update(f"{name} {_version(name)}\0".encode())
    files = sorted(p for p in _PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)
    files += sorted(p for p in (_PROJECT / "guidelines").rglob("*") if p.is_file())
    files.append(_PROJECT / "schema" / "decision.schema.json")
    for p in files:
        data = p.read_bytes() if p.is_file() else b"-"
        h.update(p.relative_to(_PROJECT).as_posix().encode() + b"\0" + data + b"\0")
    known = sorted((k, sorted(v)) for k, v in (chapters or {}).items()) if chapters is not None else None
    h.update(repr(known).encode())
    return h.hexdigest()


@dataclass(frozen=True)
class Entry:
    """A cached record: its id, year folder and YAML text."""

    id: str
    folder: str
    text: str


def _digest(body: bytes) -> str:
    return hashlib.blake2b(body, digest_size=16).hexdigest()


@dataclass(frozen=True)
class IngestCache:
    """The entries under ``folder`` made by code with fingerprint ``fp``."""

    folder: Path
    fp: str

    def key(self, name: str, letter: bytes) -> str:
        """The entry key of the letter ``letter`` read from a file called ``name``."""
        h = hashlib.blake2b(digest_size=20)
        h.update(self.fp.encode() + b"\0" + name.encode("utf-8", "surrogatepass") + b"\0")
        h.update(letter)
        return h.hexdigest()

    def drop(self, key: str) -> None:
        """Delete the entry at ``key``, if there is one."""
        try:
            self._path(key).unlink(missing_ok=True)
        except OSError:
            pass

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.rec"

    def get(self, key: str) -> Entry | None:
        """The entry at ``key``, or ``None`` (missing, damaged or unreadable)."""
        try:
            raw = self._path(key).read_bytes()
        except OSError:
            return None
        head, sep, body = raw.partition(b"\n")
        parts = head.decode("ascii", "replace").split(" ")
        if not sep or len(parts) != 3 or parts[0] != _digest(body):
            return None
        try:
            return Entry(parts[1], parts[2], body.decode("utf-8"))
        except UnicodeDecodeError:  # pragma: no cover - the digest matched
            return None

    def put(self, key: str, entry: Entry) -> None:
        """Store ``entry`` at ``key`` (temp file and rename, no fsync); a failure is ignored."""
        if " " in entry.id or " " in entry.folder or "\n" in entry.id + entry.folder:
            return  # the header could not hold them; such a record is just not cached
        body = entry.text.encode("utf-8")
        data = f"{_digest(body)} {entry.id} {entry.folder}\n".encode() + body
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        except OSError:
            return
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except OSError:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def forget(root: Path, ident: str) -> int:
    """Delete every entry of the record ``ident`` under ``root`` (one header line read per entry);
    returns how many were deleted."""
    head = f" {ident} ".encode()
    gone = 0
    for path in sorted(cache_dir(root).glob("*/*.rec")):
        try:
            with path.open("rb") as f:
                first = f.readline()
            if head in first:
                path.unlink()
                gone += 1
        except OSError:
            continue
    return gone
