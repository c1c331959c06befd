"""Where the index lives and how it is swapped: versioned folders, a ``CURRENT`` pointer and a writer lock.

``<root>/.imrkb/index/`` holds ``v000001/``, ``v000002/``, ... (each a complete Whoosh index plus its
``manifest.json``), ``CURRENT`` (the name of the live folder) and ``LOCK``. A writer builds a new folder
beside the live one and publishes it by replacing ``CURRENT`` atomically (:func:`os.replace`), so a reader
sees the old index or the new, never a half-written one. The previous folder is kept for readers that
opened it just before the swap; older ones are removed. A second writer fails at once with
:class:`IndexBusyError`.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import oslock
from ..errors import ImrkbError
from ..records import atomic_write_text
from .schema import INDEX_FORMAT

POINTER = "CURRENT"
LOCK = "LOCK"
MANIFEST = "manifest.json"
_VERSION = re.compile(r"^v(\d{6,})$")


class IndexBusyError(ImrkbError):
    """Another process is updating the index."""

    exit_code = 75  # EX_TEMPFAIL: try again later


class IndexMissingError(ImrkbError):
    """There is no usable index under the root yet."""


def index_home(root: Path) -> Path:
    """``<root>/.imrkb/index``."""
    return Path(root) / ".imrkb" / "index"


@dataclass
class Manifest:
    """What a version folder holds: per record file its content hash, stat, decision id and item count."""

    format: int
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    labels: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def decisions(self) -> int:
        return len(self.files)

    @property
    def items(self) -> int:
        return sum(int(f["items"]) for f in self.files.values())

    def to_json(self) -> str:
        return json.dumps(
            {"format": self.format, "files": self.files, "labels": self.labels},
            ensure_ascii=False,
            sort_keys=True,
        )

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        return cls(int(data["format"]), dict(data["files"]), dict(data.get("labels") or {}))


def versions(home: Path) -> list[Path]:
    """Version folders under ``home``, oldest first."""
    if not home.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in home.iterdir() if (m := _VERSION.match(p.name)) and p.is_dir()]
    return [p for _, p in sorted(found)]


def current(home: Path) -> Path | None:
    """The live version folder named by ``CURRENT``, or ``None`` when there is none (yet)."""
    try:
        name = (home / POINTER).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    if not _VERSION.match(name):
        raise IndexMissingError(f"{home / POINTER}: does not name an index version ({name[:40]!r})")
    folder = home / name
    return folder if folder.is_dir() else None


def new_version(home: Path) -> Path:
    """Create and return the next (empty) version folder."""
    existing = versions(home)
    n = int(_VERSION.match(existing[-1].name).group(1)) + 1 if existing else 1  # type: ignore[union-attr]
    folder = home / f"v{n:06d}"
    folder.mkdir(parents=True)
    return folder


def clone_version(src: Path, dst: Path) -> None:
    """Fill ``dst`` with the files of ``src`` (hard links where possible: Whoosh never rewrites a file)."""
    for p in src.iterdir():
        if p.is_file() and "LOCK" not in p.name and p.name != MANIFEST:
            try:
                os.link(p, dst / p.name)
            except OSError:
                shutil.copy2(p, dst / p.name)


def publish(home: Path, folder: Path, previous: Path | None) -> None:
    """Make ``folder`` the live index (atomic pointer swap) and remove every other version folder except
    ``previous`` (the one live until now, which readers may still have open). Call under the writer lock.
    """
    atomic_write_text(home / POINTER, folder.name + "\n")
    for old in versions(home):
        if old not in (folder, previous):
            shutil.rmtree(old, ignore_errors=True)


def discard(folder: Path) -> None:
    """Remove an unpublished version folder (a failed or interrupted build)."""
    shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def writer_lock(home: Path) -> Iterator[None]:
    """Hold the index's writer lock; raise :class:`IndexBusyError` at once if another process holds it.

    The lock is an OS lock on ``LOCK`` (released by the OS if the process dies), so a crashed writer never
    leaves the index locked.
    """
    try:
        with oslock.exclusive(home / LOCK):
            yield
    except oslock.LockBusy as e:
        raise IndexBusyError(
            f"{home}: the index is being updated by another process{e.who}; try again when it finishes"
        ) from None


def open_live(root: Path, attempts: int = 3) -> tuple[Any, Path, Manifest]:
    """Open the live index: ``(whoosh index, version folder, manifest)``.

    A writer may swap versions between reading ``CURRENT`` and opening the folder; that is retried.
    """
    from whoosh import index as windex

    home = index_home(root)
    for attempt in range(attempts):
        folder = current(home)
        if folder is None:
            raise IndexMissingError(f"{home}: no index yet; run `imrkb index` first")
        try:
            manifest = Manifest.read(folder)
            if manifest.format != INDEX_FORMAT:
                raise IndexMissingError(f"{folder}: the index has an older format; run `imrkb index`")
            return windex.open_dir(str(folder)), folder, manifest
        except (FileNotFoundError, windex.EmptyIndexError):
            if attempt == attempts - 1:
                raise IndexMissingError(f"{folder}: the index is damaged; run `imrkb index --full`") from None
    raise AssertionError("unreachable")
