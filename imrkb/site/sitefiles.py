"""Writing a build folder so that a rebuild touches only what changed, and never another build's files.

A fresh build writes every file into an empty folder. A rebuild writes into a folder that already holds
the previous build's files: the live build's *standby* brought up to date by :func:`replay` (the files
the live build changed, linked from it), or, when there is no usable standby, :func:`link_copy` of the
live build. Either way many files are hard links shared with the live build, so a file is never opened
for writing in place: :meth:`SiteFiles.put` writes a temporary file and renames it over the old one
(a new inode), and only when the bytes differ. What it writes and removes is the build's change list,
which the next rebuild replays.
"""

from __future__ import annotations

import filecmp
import os
import shutil
from collections.abc import Iterable
from pathlib import Path

#: Kept out of change lists, replays and copies: the search index is carried by
#: :func:`imrkb.site.searchindex.index_site`, which never writes a file in place either.
OWN_DIRS = ("pagefind",)


class SiteFiles:
    """Files of one build folder, written by relative path (``/``-separated).

    ``fresh``: the folder started empty, so files are written without comparing and no change list is
    kept (:attr:`changes` is ``None``)."""

    def __init__(self, folder: Path, *, fresh: bool) -> None:
        self.folder = folder
        self.fresh = fresh
        self.changed: set[str] = set()
        self.removed: set[str] = set()
        self._dirs: set[str] = set()

    @property
    def changes(self) -> list[str] | None:
        """Paths written or removed (sorted), or ``None`` for a fresh build."""
        return None if self.fresh else sorted(self.changed | self.removed)

    def _parent(self, rel: str) -> Path:
        path = self.folder / rel
        parent = rel.rpartition("/")[0]
        if parent not in self._dirs:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._dirs.add(parent)
        return path

    def put(self, rel: str, data: str | bytes) -> bool:
        """Write ``data`` at ``rel`` unless the file already holds it; True if written."""
        raw = data.encode("utf-8") if isinstance(data, str) else data
        path = self._parent(rel)
        if self.fresh:
            path.write_bytes(raw)
            return True
        try:
            if path.stat().st_size == len(raw) and path.read_bytes() == raw:
                return False
        except OSError:
            pass
        tmp = path.with_name(f".{path.name}.new")
        tmp.write_bytes(raw)
        os.replace(tmp, path)
        self.changed.add(rel)
        self.removed.discard(rel)
        return True

    def move_in(self, rel: str, src: Path) -> bool:
        """Move the finished file ``src`` to ``rel`` (a download written elsewhere) unless the file there
        holds the same bytes; True if moved."""
        path = self._parent(rel)
        if not self.fresh and path.is_file() and filecmp.cmp(src, path, shallow=False):
            src.unlink()
            return False
        os.replace(src, path)
        if not self.fresh:
            self.changed.add(rel)
            self.removed.discard(rel)
        return True

    def remove(self, rel: str) -> None:
        """Delete ``rel`` if it exists (and its folder once empty)."""
        path = self.folder / rel
        try:
            path.unlink()
        except FileNotFoundError:
            return
        self.changed.discard(rel)
        self.removed.add(rel)
        try:
            path.parent.rmdir()
        except OSError:
            pass
        else:
            self._dirs.discard(rel.rpartition("/")[0])


def link_new(src: str | Path, dest: str | Path) -> None:
    """A new ``dest`` (no file there) as a hard link to ``src`` (a copy across file systems)."""
    try:
        os.link(src, dest)
    except OSError:
        shutil.copyfile(src, dest)


def _link(src: Path, dest: Path) -> None:
    """``dest`` becomes a hard link to ``src`` (a copy across file systems), replacing any file there."""
    tmp = dest.with_name(f".{dest.name}.new")
    tmp.unlink(missing_ok=True)
    link_new(src, tmp)
    os.replace(tmp, dest)


def replay(folder: Path, live: Path, changes: Iterable[str]) -> int:
    """Bring ``folder`` (the build before ``live``) level with ``live``: each path ``live``'s build
    changed is linked from ``live`` or, gone there, removed. Returns the number of paths replayed."""
    n = 0
    for rel in changes:
        src, dest = live / rel, folder / rel
        if src.is_file():
            dest.parent.mkdir(parents=True, exist_ok=True)
            _link(src, dest)
        else:
            dest.unlink(missing_ok=True)
        n += 1
    return n


def link_copy(live: Path, folder: Path, *, skip: Iterable[str] = ()) -> int:
    """Fill the empty ``folder`` with hard links to every file of ``live`` but its :data:`OWN_DIRS` and
    the top-level names in ``skip``. Returns the number of files."""
    leave = {*OWN_DIRS, *skip}
    n = 0
    for dirpath, dirs, files in os.walk(live):
        here = Path(dirpath)
        rel = here.relative_to(live)
        if rel == Path("."):
            dirs[:] = [d for d in dirs if d not in leave]
            files = [f for f in files if f not in leave]
        target = folder / rel
        target.mkdir(parents=True, exist_ok=True)
        for f in files:
            link_new(here / f, target / f)
            n += 1
    return n


def sync_links(
    src: Path, dest: Path, *, keep: Iterable[str] = (), same_bytes: bool = False
) -> tuple[int, int]:
    """Make ``dest`` hold exactly the files of ``src``, as hard links: a file already linked to the same
    inode is left alone (with ``same_bytes``, also one holding the same bytes), any other is linked anew
    (under a temporary name renamed over the old one, so no file is written in place) and what ``src``
    lacks is removed, but for the top-level names in ``keep``. Returns (files linked, entries removed).

    Used to bring a recycled folder that holds another build's links up to date: reading two trees'
    directory entries (their inode numbers come with them) costs ~2 s a million, far less than linking
    them all. Across file systems every file is copied each time (there is no shared inode to compare)."""
    leave = set(keep)
    linked = removed = 0
    stack: list[tuple[str, str, bool]] = [(str(src), str(dest), True)]
    while stack:
        here, there, top = stack.pop()
        try:
            with os.scandir(there) as it:
                have = {e.name: e for e in it}
        except FileNotFoundError:
            os.makedirs(there)
            have = {}
        with os.scandir(here) as it:
            for e in it:
                target = os.path.join(there, e.name)
                old = have.pop(e.name, None)
                if e.is_dir():
                    if old is not None and not old.is_dir(follow_symlinks=False):
                        os.unlink(old.path)
                        removed += 1
                    stack.append((e.path, target, False))
                    continue
                if old is None:  # nothing there: link directly (most files of a new folder)
                    link_new(e.path, target)
                    linked += 1
                    continue
                if old.is_dir(follow_symlinks=False):
                    shutil.rmtree(old.path)
                    removed += 1
                elif not old.is_symlink() and (
                    old.inode() == _inode(e) or (same_bytes and filecmp.cmp(old.path, e.path, shallow=False))
                ):
                    continue
                _link(Path(e.path), Path(target))
                linked += 1
        for name, old in have.items():
            if top and name in leave:
                continue
            if old.is_dir(follow_symlinks=False):
                shutil.rmtree(old.path)
            else:
                os.unlink(old.path)
            removed += 1
    return linked, removed


def _inode(e: os.DirEntry[str]) -> int:
    """The inode of the file ``e`` names (its target's, for a symbolic link)."""
    return e.stat().st_ino if e.is_symlink() else e.inode()
