"""Crash-safe publishing: a build fills a fresh folder, and the site switches to it in one atomic step.

The published folder ``OUT`` (``ROOT/site`` by default) is a symbolic link to a complete build in
``OUT.builds/<stamp>/``. A build holds an OS lock on ``OUT.builds/LOCK`` (released by the OS when the
process dies, so a killed build never leaves a stale lock), writes everything into a new folder, marks
it complete (:data:`MARKER`) and replaces the link with :func:`os.replace` of a new link: a reader
sees the old site or the new one, never a mixture. The build published before the live one is kept as
the *standby* (its name in the live build's marker): a rebuild may recycle it, renaming it to the new
build's name and unmarking it before bringing it up to date in place (:mod:`imrkb.site.sitefiles`), so a
rebuild writes only what changed instead of a whole site. Anything else in ``OUT.builds/`` (half-built or
half-recycled folders of killed builds, older builds, leftover temporary links) is cleared by the next
build, before it starts and after it publishes (moved to ``.OUT.trash/`` and deleted there by a detached
process); nothing needs cleaning by hand.

An ``OUT`` that is a plain folder (made by an older imrkb) is moved into ``OUT.builds/`` the first time.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .. import oslock
from ..errors import ImrkbError

#: Written last into a finished build: what was built and when. Its presence marks a build complete.
MARKER = ".imrkb-build.json"
LOCK = "LOCK"


class BuildBusyError(ImrkbError):
    """Another process is building the same site."""

    exit_code = 75  # EX_TEMPFAIL: try again later


def builds_dir(out: Path) -> Path:
    """Where the builds behind ``out`` live: ``OUT.builds/`` beside it."""
    return out.with_name(out.name + ".builds")


def marker(folder: Path | None) -> dict[str, object]:
    """The marker of a finished build (``{}`` when there is none or it is unreadable)."""
    if folder is None:
        return {}
    try:
        data = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def standby(out: Path) -> Path | None:
    """The finished build published before the live one, kept for recycling (``None``: there is none)."""
    live = published(out)
    name = marker(live).get("standby")
    if not isinstance(name, str) or not name or "/" in name or name.startswith("."):
        return None
    folder = builds_dir(out) / name
    return folder if folder != live and (folder / MARKER).is_file() else None


def published(out: Path) -> Path | None:
    """The build folder ``out`` points to now (``None`` when nothing is published as a build)."""
    if not out.is_symlink():
        return None
    target = out.resolve()
    return target if target.is_dir() else None


@contextlib.contextmanager
def build_lock(out: Path) -> Iterator[None]:
    """Hold the site's build lock; raise :class:`BuildBusyError` at once if another build holds it."""
    try:
        with oslock.exclusive(builds_dir(out) / LOCK):
            yield
    except oslock.LockBusy as e:
        raise BuildBusyError(f"{out}: another build is running{e.who}; try again when it finishes") from None


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _stamp() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ") + f"-{os.getpid()}"


def trash_dir(out: Path) -> Path:
    """Where superseded builds wait to be deleted: ``.OUT.trash/`` beside ``out``."""
    return out.with_name(f".{out.name}.trash")


def collect_garbage(out: Path) -> list[str]:
    """Clear everything behind ``out`` but the published build and its standby; return the names cleared.

    Each is renamed into a fresh folder of :func:`trash_dir` (one atomic step, whatever its size) and a
    detached process deletes that folder, so no build waits for hundreds of thousands of unlinks.
    Trash left by a purge that was killed is purged again.
    Call under :func:`build_lock`: the only other folders are half-built or superseded ones.
    """
    home = builds_dir(out)
    keep = {p.resolve() for p in (published(out), standby(out)) if p is not None}
    trash = trash_dir(out)
    bin_ = trash / _stamp()
    removed = []
    for p in sorted(home.iterdir()) if home.is_dir() else []:
        if p.name == LOCK or p.resolve() in keep:
            continue
        bin_.mkdir(parents=True, exist_ok=True)
        os.rename(p, bin_ / p.name)
        removed.append(p.name)
    for tmp in out.parent.glob(f".{out.name}.link-*"):  # a link made by a build killed before the switch
        if tmp.is_symlink():
            tmp.unlink(missing_ok=True)
            removed.append(tmp.name)
    for old in sorted(trash.iterdir()) if trash.is_dir() else []:
        _purge_in_background(old)
    with contextlib.suppress(OSError):
        trash.rmdir()  # only when empty
    return removed


def throw_away(out: Path, path: Path) -> None:
    """Delete ``path`` (inside a build folder of ``out``) without waiting: it is renamed into the trash,
    which a detached process empties."""
    bin_ = trash_dir(out) / _stamp()
    bin_.mkdir(parents=True)
    os.rename(path, bin_ / path.name)
    _purge_in_background(bin_)


def discard(out: Path, folder: Path, *, now: bool = False) -> None:
    """Empty the build folder ``folder`` of ``out``: its contents go to the trash (see
    :func:`throw_away`), or (``now``) are deleted before this returns."""
    if now:
        shutil.rmtree(folder)
    else:
        throw_away(out, folder)
    folder.mkdir()


#: Forks at once and exits; the fork deletes the folder. So the process this one waits for is gone in
#: milliseconds, and the one deleting is nobody's child (no zombie, no unwaited process).
_PURGE = "import os, shutil, sys\nif os.fork() == 0:\n    shutil.rmtree(sys.argv[1], ignore_errors=True)"


def _purge_in_background(folder: Path) -> None:
    """Delete ``folder`` in a detached process that outlives this one (and never blocks it)."""
    try:
        subprocess.run(
            [sys.executable, "-c", _PURGE, str(folder)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):  # no process to spare: delete it here
        shutil.rmtree(folder, ignore_errors=True)


def switch(out: Path, folder: Path) -> None:
    """Point ``out`` at ``folder`` (inside :func:`builds_dir`) in one atomic rename."""
    home = builds_dir(out)
    if out.exists() and not out.is_symlink():  # a plain folder from an older imrkb: move it aside first
        if not out.is_dir():
            raise ImrkbError(f"{out}: exists and is not a folder; will not replace it")
        os.rename(out, home / f"legacy-{_stamp()}")
    tmp = out.with_name(f".{out.name}.link-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    os.symlink(os.path.relpath(folder, out.parent), tmp, target_is_directory=True)
    os.replace(tmp, out)
    _fsync_dir(out.parent)


@dataclass
class Slot:
    """Where a build writes: ``folder``, empty, or (``recycled``) the standby build, renamed to the new
    build's name and no longer marked finished; ``live`` is the build published now. A build that
    clears ``keep_live`` (one that takes a decision down) has the live build deleted once it is
    replaced, instead of kept as the standby."""

    folder: Path
    live: Path | None
    recycled: str | None = None  # the standby's former name: which build ``folder`` holds
    keep_live: bool = True


@contextlib.contextmanager
def publishing(
    out: Path, describe: dict[str, object] | None = None, *, recycle: bool = False
) -> Iterator[Slot]:
    """Build into a slot (yielded); on success mark it complete and switch ``out`` to it, keeping the
    build it replaces as the standby.

    With ``recycle`` the slot is the standby build when there is one (see :class:`Slot`). ``describe``
    is written into the marker (counts, for a person or a test). On any failure the slot's folder is
    removed and the published site is untouched.
    """
    out = out.absolute()
    with build_lock(out):
        collect_garbage(out)
        live = published(out)
        spare = standby(out) if recycle else None
        folder = builds_dir(out) / _stamp()
        if spare is not None:
            os.rename(spare, folder)
            (folder / MARKER).unlink()  # unfinished until this build marks it again
            _fsync_dir(folder)
            _fsync_dir(folder.parent)
        else:
            folder.mkdir()
        try:
            info = describe if describe is not None else {}
            slot = Slot(folder, live, spare.name if spare is not None else None)
            yield slot
            stamp = {"stamp": folder.name, "built": dt.datetime.now(dt.timezone.utc).isoformat()}
            kept = live.name if live is not None and slot.keep_live else None
            done = {**stamp, "standby": kept, **info}
            (folder / MARKER).write_text(json.dumps(done, indent=2) + "\n", encoding="utf-8")
            _fsync_dir(folder)
            switch(out, folder)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        if live is not None and not slot.keep_live:
            shutil.rmtree(live, ignore_errors=True)  # now, not in the background: it holds taken-down data
        collect_garbage(out)
