"""Takedown: a decision removed from the corpus, the site and the search index, with a ledger of why.

``imrkb remove ID --reason TEXT`` deletes the record ``decisions/<year>/<ID>.yaml`` and writes
``removed/<ID>.yaml``: the id, where its page was, the date and the reason, and nothing of its content.
The ledger is the authority from then on: the site build skips any record whose id it lists (should the
letter be ingested again) and publishes a "removed" notice at the decision's old URL instead, a page
with no content that is left out of the sitemap and the search index. The reason stays in the ledger:
it is never published (it may itself describe what was wrong with the record).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import yaml

from .errors import ImrkbError, UsageError
from .ingestcache import forget
from .records import atomic_write_text, load_yaml_text

LEDGER_DIR = "removed"
MIN_REASON = 10

#: Decision ids as the site uses them in URLs and file names (see :mod:`imrkb.site.rows`).
_SAFE_ID_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")


class AlreadyRemovedError(ImrkbError):
    """The decision is in the ledger and has no record any more."""

    def __init__(self, removal: Removal, where: Path) -> None:
        self.removal = removal
        super().__init__(f"{removal.id}: already removed on {removal.removed.isoformat()} ({where})")


@dataclass(frozen=True)
class Removal:
    """One ledger entry."""

    id: str
    year_folder: str
    removed: dt.date
    reason: str

    @property
    def url(self) -> str:
        """Site path of the decision's page, where the notice now stands."""
        return f"decisions/{self.year_folder}/{self.id}/"


def check_id(ident: str) -> str:
    if not ident or ident[0] in "._-" or len(ident) > 81 or not set(ident) <= _SAFE_ID_CHARS:
        raise UsageError(f"{ident!r} is not a decision id (letters, digits, . _ - only)")
    return ident


def ledger_path(root: Path, ident: str) -> Path:
    return root / LEDGER_DIR / f"{check_id(ident)}.yaml"


def _entry(path: Path) -> Removal:
    try:
        m = load_yaml_text(path.read_text(encoding="utf-8"))
        removed = m["removed"]
        if isinstance(removed, str):
            removed = dt.date.fromisoformat(removed)
        if not isinstance(removed, dt.date):
            raise ValueError("removed: not a date")
        r = Removal(check_id(str(m["id"])), str(m["year_folder"]), removed, str(m["reason"]))
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError, UsageError) as e:
        raise ImrkbError(f"{path}: not a takedown ledger entry ({type(e).__name__}: {e})") from None
    if r.id != path.stem or not set(r.year_folder) <= _SAFE_ID_CHARS or r.year_folder in ("", ".", ".."):
        raise ImrkbError(f"{path}: id or year_folder does not match the file")
    return r


def load_ledger(root: Path) -> dict[str, Removal]:
    """Every removal recorded under ``root/removed/``, by id (empty when there is no ledger)."""
    base = root / LEDGER_DIR
    if not base.is_dir():
        return {}
    return {r.id: r for r in (_entry(p) for p in sorted(base.glob("*.yaml")) if not p.name.startswith("."))}


def record_files(root: Path, ident: str) -> list[Path]:
    """The record files of ``ident``: ``decisions/<year>/<ID>.yaml`` (normally one)."""
    return sorted((root / "decisions").glob(f"*/{check_id(ident)}.yaml"))


def remove(root: Path, ident: str, reason: str, *, today: dt.date | None = None) -> Removal:
    """Record the removal of ``ident`` in the ledger, then delete its record (in that order: a crash
    in between leaves a record the build already skips)."""
    check_id(ident)
    reason = " ".join(reason.split())
    if len(reason) < MIN_REASON:
        raise UsageError(f"--reason must say why the decision is removed (at least {MIN_REASON} characters)")
    paths = record_files(root, ident)
    if not paths:
        done = load_ledger(root).get(ident)
        if done is not None:
            raise AlreadyRemovedError(done, ledger_path(root, ident))
        raise ImrkbError(f"{ident}: no such decision under {root / 'decisions'}")
    removal = Removal(ident, paths[0].parent.name, today or dt.date.today(), reason)
    entry = {
        "id": removal.id,
        "year_folder": removal.year_folder,
        "removed": removal.removed.isoformat(),
        "reason": removal.reason,
    }
    atomic_write_text(
        ledger_path(root, ident),
        "# Takedown ledger entry (imrkb remove): never published; the record's content is gone.\n"
        + yaml.safe_dump(entry, sort_keys=False, allow_unicode=True),
    )
    for p in paths:
        p.unlink()
    forget(root, ident)  # and the copy of its text in ingest's cache
    return removal
