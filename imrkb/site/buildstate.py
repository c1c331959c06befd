"""What a build remembers for the next one, so that a rebuild renders only what changed.

Kept per published build in ``ROOT/.imrkb/build-state/<site>/<build>.pickle`` (never published): each
record file's stamp and :data:`~imrkb.site.corpus.Light` form, each decision's guideline page numbers,
the pages of every paginated list, the other files it wrote (MkDocs, sitemap, feed, downloads), and the
build's change list (what it wrote or removed in the folder it started from, which held the build
named ``base``). A state is used only by a build of the same code, catalog and site URL
(:func:`fingerprint`); otherwise every page is rendered again (and still only changed files are
written).
"""

from __future__ import annotations

import functools
import hashlib
import pickle
from dataclasses import dataclass, field
from pathlib import Path

from .corpus import Light

VERSION = 1
#: What decides a build's output besides the records and docs/ (whose MkDocs pages are compared byte
#: by byte anyway): the site code and theme, the record model and reader, the catalog and categories,
#: the personal-data gate (unchanged records are not scanned again), the similar-decisions table.
_INPUTS = (
    "imrkb/site",
    "imrkb/__init__.py",
    "imrkb/models.py",
    "imrkb/records.py",
    "imrkb/catalog.py",
    "imrkb/categories.py",
    "imrkb/pii.py",
    "imrkb/takedown.py",
    "imrkb/search/neighbour_table.py",
    "imrkb/search/neighbours.py",
    "imrkb/search/profiles.py",
    "guidelines",
    "schema",
    "mkdocs.yml",
)


@dataclass
class BuildState:
    fingerprint: str
    templates: str = ""  # digest of the page templates MkDocs rendered (theme, navigation)
    base: str | None = None  # the build whose folder this build started from; None: an empty folder
    changes: list[str] | None = None  # paths written or removed there; None: unknown (fresh folder)
    records: dict[str, tuple[str, Light]] = field(default_factory=dict)  # file -> (stamp, light)
    page_numbers: dict[str, tuple[int, ...]] = field(default_factory=dict)  # decision id -> pages
    listings: dict[str, list[str]] = field(default_factory=dict)  # list key -> its page URLs
    fixed_pages: list[str] = field(default_factory=list)  # URLs of pages every build renders
    other_files: list[str] = field(
        default_factory=list
    )  # files besides pages and records (MkDocs, feed, ...)


@functools.lru_cache(maxsize=4)
def fingerprint(project: Path, site_url: str) -> str:
    """A digest of :data:`_INPUTS` and the site URL."""
    h = hashlib.blake2b(digest_size=16)
    h.update(f"v{VERSION}\0{site_url}\0".encode())
    files: list[Path] = []
    for name in _INPUTS:
        top = project / name
        files += [top] if top.is_file() else sorted(p for p in top.rglob("*") if p.is_file())
    for p in files:
        if "__pycache__" in p.parts:
            continue
        h.update(p.relative_to(project).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def state_dir(root: Path, out: Path) -> Path:
    """Where the states of the site ``out`` built from ``root`` live."""
    name = hashlib.sha256(str(out.absolute()).encode()).hexdigest()[:16]
    return root / ".imrkb" / "build-state" / name


def load(root: Path, out: Path, build: Path | None) -> BuildState | None:
    """The state of the build folder ``build`` (``None`` when there is none or it cannot be read)."""
    if build is None:
        return None
    try:
        with (state_dir(root, out) / f"{build.name}.pickle").open("rb") as f:
            state = pickle.load(f)
    except Exception:  # missing, damaged or from another version: a build without a state
        return None
    return state if isinstance(state, BuildState) else None


def save(root: Path, out: Path, build: Path, state: BuildState, keep: set[str]) -> None:
    """Store ``state`` for the build folder ``build``; forget states of builds not in ``keep``."""
    home = state_dir(root, out)
    home.mkdir(parents=True, exist_ok=True)
    tmp = home / f".{build.name}.tmp"
    with tmp.open("wb") as f:
        pickle.dump(state, f, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(home / f"{build.name}.pickle")
    for p in home.glob("*.pickle"):
        if p.stem not in keep | {build.name}:
            p.unlink(missing_ok=True)
