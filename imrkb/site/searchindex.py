"""The site's Pagefind search index, built in bounded chunks so memory does not grow with the corpus.

One Pagefind run over every decision page holds the whole index in memory (about 160 KB a page:
1.6 GB at 10,000 pages). Instead the decision pages are cut into chunks of at most ``chunk_size``
pages: runs of consecutive decision dates, newest first. Each chunk
is its own Pagefind run over a folder of hard links to its pages (so Pagefind sees exactly the chunk,
with the site's own URLs) and writes ``pagefind/<chunk>/`` (a corpus that fits one chunk gets one
index in ``pagefind/`` itself). Runs go ``jobs`` at a time.

``pagefind/chunks.json`` lists the chunks newest first with each one's date range, page count and
filter counts; ``docs/assets/imrkb-pagefind.js`` reads it to answer the search page: filter lists
without loading any index, only the chunks that can match a filter are searched, results merged by
score or, for a date order, chunk after chunk (the chunks are date ranges).

Incremental: ``pagefind/indexed.json`` records every chunk's pages with a digest of each page's bytes (but
the content of the similar-decisions box, which Pagefind ignores).
Given the previous build's site, the next index keeps its chunk boundaries (a new page goes into the
chunk whose date range holds it, the newest chunk for a new newest decision; a chunk past
``chunk_size`` splits from its oldest end), hard-links every chunk whose pages are the same paths with
the same digests (a chunk is named by a digest of its pages, ``part-<digest>``) and runs Pagefind only
for the others.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from ..errors import ImrkbError
from . import pagefindnames
from .render import SIMILAR_OPEN
from .sitefiles import link_new

#: Pages per Pagefind run. Pagefind's time and memory grow with a run's pages (measured on 5,000
#: decision pages of 15 KB: 12.9 CPU s and 830 MB; 2,500: 6.6 s and 410 MB; 1,000: 2.7 s and 170 MB),
#: and a changed page re-indexes its whole chunk, so a one-change rebuild waits for one chunk.
#: Smaller chunks mean more files for a browser search that reads every chunk.
CHUNK_SIZE = 2500
MANIFEST = "chunks.json"
#: What was indexed: every chunk's pages with their content digests (read by the next build, never by
#: the browser).
STATE = "indexed.json"
STATE_VERSION = 1
#: What Pagefind writes into an index folder besides its top-level files.
PAGEFIND_DIRS = ("fragment", "index", "filter")
UNUSED = (
    "pagefind-ui.js",
    "pagefind-ui.css",
    "pagefind-component-ui.js",
    "pagefind-component-ui.css",
    "pagefind-modular-ui.js",
    "pagefind-modular-ui.css",
    "pagefind-highlight.js",
)
#: A word in the indexed text of every decision page (its "Items decided" heading). Pagefind answers a
#: search with no words (filters only) by loading every word index of the chunk (3.5 MB for 5,000
#: pages); the same search for this word loads one (16 KB) and, when every page of the chunk has the
#: word, finds the same pages in the same order. ``chunks.json`` names it for the chunks where it holds.
EVERY_WORD = "decided"
_EVERY = re.compile(r">\s*Items decided\s*</h2>")
_BODY = "data-pagefind-body"
#: The similar-decisions box: Pagefind ignores it (no text, filter or metadata of it is indexed) and its
#: content changes with the neighbours, not the decision, so a page's digest leaves the content out
#: (its presence counts): a new decision changes the boxes of pages all over the corpus, and without
#: this each would re-index its chunk (every chunk, at 100,000 decisions).
_SIMILAR = re.compile(re.escape(SIMILAR_OPEN.encode()) + rb".*?</section>", re.S)
#: Link targets: Pagefind stores a page's text, filters, meta and anchors, never where its links go. A
#: new newest decision moves rows of every newest-first guideline page by one, so the decisions at the
#: page ends now link to the next page: a change that must not re-index their chunks.
_HREF = re.compile(rb' href="[^"]*"')
_SORT = re.compile(r'data-pagefind-sort="date">([^<]*)<')
_FILTER = re.compile(r'data-pagefind-filter="([^"]+)">([^<]*)<')


@dataclass
class Page:
    rel: str  # path of the page's index.html relative to the site
    date: str
    filters: list[tuple[str, str]]
    digest: str = ""  # of the page's bytes, less its similar box: what decides a chunk is unchanged
    every: bool = False  # whether its indexed text has EVERY_WORD

    def row(self) -> list[object]:
        return [self.rel, self.digest, self.date, self.filters, self.every]  # tuples dump as lists

    @classmethod
    def from_row(cls, row: list) -> Page:
        rel, digest, date, filters, every = row
        return cls(rel, date, list(map(tuple, filters)), digest, bool(every))


def _key(p: Page) -> tuple[str, str]:
    return (p.date, p.rel)


@dataclass
class Chunk:
    name: str
    pages: list[Page] = field(default_factory=list)

    @property
    def key(self) -> str:
        """A digest of the chunk's pages and their contents: equal keys, equal Pagefind indexes."""
        h = hashlib.blake2b(digest_size=16)
        for p in self.pages:
            h.update(f"{p.rel}\t{p.digest}\n".encode())
        return h.hexdigest()

    def manifest(self) -> dict[str, object]:
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        for p in self.pages:
            for k, v in set(p.filters):
                counts[k][v] += 1
        dates = [p.date for p in self.pages]
        out: dict[str, object] = {
            "path": f"{self.name}/" if self.name else "",
            "pages": len(self.pages),
            "newest": max(dates),
            "oldest": min(dates),
            "filters": {k: dict(sorted(c.items())) for k, c in sorted(counts.items())},
        }
        if self.pages and all(p.every for p in self.pages):
            out["every"] = EVERY_WORD  # a filter-only search may search for this word instead
        return out


def read_page(site: Path, rel: str) -> Page | None:
    """The sort date, filters and content digest of one built decision page (as the build wrote it);
    ``None`` for a page Pagefind leaves out (no ``data-pagefind-body``: a takedown notice)."""
    data = (site / rel).read_bytes()
    text = data.decode("utf-8")
    start = text.find(_BODY)
    if start < 0:
        return None
    m = _SORT.search(text)
    filters = [(html.unescape(k), html.unescape(v)) for k, v in _FILTER.findall(text)]
    seen = _HREF.sub(b' href=""', _SIMILAR.sub(SIMILAR_OPEN.encode(), data, count=1))
    digest = hashlib.blake2b(seen, digest_size=16).hexdigest()
    every = _EVERY.search(text, start) is not None
    return Page(rel, html.unescape(m.group(1)) if m else "0000-00-00", filters, digest, every)


def page_paths(site: Path) -> Iterable[str]:
    """Every built decision page ``decisions/<year>/<id>/index.html`` of ``site``, relative to it."""
    base = os.path.join(site, "decisions")
    if not os.path.isdir(base):
        return
    for year in sorted(os.listdir(base)):
        ydir = os.path.join(base, year)
        if not os.path.isdir(ydir):
            continue
        for name in sorted(os.listdir(ydir)):  # plain strings: 100,000 pathlib joins cost a second
            if os.path.isfile(os.path.join(ydir, name, "index.html")):
                yield f"decisions/{year}/{name}/index.html"


def decision_pages(site: Path) -> Iterable[Page]:
    """Every built decision page of ``site`` that Pagefind indexes, read."""
    for rel in page_paths(site):
        page = read_page(site, rel)
        if page is not None:
            yield page


def _cut(rows: list[Page], chunk_size: int) -> list[list[Page]]:
    """Fresh boundaries: runs of ``chunk_size`` from the newest page."""
    return [rows[k : k + chunk_size] for k in range(0, len(rows), chunk_size)] or [[]]


def _split(group: list[Page], chunk_size: int) -> list[list[Page]]:
    """A grown chunk (newest first) in pieces of ``chunk_size`` from its oldest end: pages added at
    the newest end make a new small chunk and leave the older pieces as they were."""
    pieces, end = [], len(group)
    while end > 0:
        pieces.append(group[max(0, end - chunk_size) : end])
        end -= chunk_size
    return pieces[::-1]


def _keep(rows: list[Page], previous: list[list[Page]], chunk_size: int) -> list[list[Page]]:
    """The previous chunks' boundaries (each chunk's oldest (date, path)) kept: a page goes into the
    chunk whose range holds it (one newer than all into the newest chunk), empty chunks go, and a
    chunk past ``chunk_size`` splits; the others keep exactly their pages."""
    bounds = [min(map(_key, c)) for c in previous if c]
    if not bounds or any(a <= b for a, b in zip(bounds, bounds[1:], strict=False)):
        return _cut(rows, chunk_size)
    groups: list[list[Page]] = [[] for _ in bounds]
    i = 0
    for p in rows:  # newest first, as the bounds are
        while i < len(bounds) - 1 and _key(p) < bounds[i]:
            i += 1
        groups[i].append(p)
    return [piece for g in groups if g for piece in _split(g, chunk_size)] or [[]]


def plan_chunks(
    pages: Iterable[Page], chunk_size: int = CHUNK_SIZE, previous: list[list[Page]] | None = None
) -> list[Chunk]:
    """Cut pages into chunks of at most ``chunk_size``, newest first, each a run of consecutive dates
    (ties by path). With ``previous`` (the last index's chunks, newest first) its boundaries are kept,
    so that one new or changed page changes one chunk. One chunk is named ``""``: its index is
    ``pagefind/`` itself, as with one run; several are named by their content (``part-<digest>``)."""
    if chunk_size < 1:
        raise ImrkbError(f"chunk size must be at least 1, not {chunk_size}")
    rows = sorted(pages, key=_key, reverse=True)
    groups = _keep(rows, previous, chunk_size) if previous else _cut(rows, chunk_size)
    if len(groups) == 1:
        return [Chunk("", groups[0])]
    chunks = [Chunk("", g) for g in groups]
    for c in chunks:
        c.name = f"part-{c.key[:12]}"
    return chunks


def chunk_size_setting(default: int = CHUNK_SIZE) -> int:
    """The chunk size an index is built with: ``IMRKB_PAGEFIND_CHUNK`` when set, else ``default``."""
    return int(os.environ.get("IMRKB_PAGEFIND_CHUNK") or default)


def settings() -> str:
    """What the index of a set of pages depends on besides the pages: the Pagefind version and the
    chunk size (a sharded build compares it to skip an unchanged shard)."""
    return f"pagefind {_pagefind_version()}, chunks of {chunk_size_setting()}"


def _pagefind_version() -> str:
    try:
        return metadata.version("pagefind")
    except metadata.PackageNotFoundError:
        return "unknown"


@dataclass
class State:
    """The previous index: its folder, Pagefind version, chunk size and chunks (pages with digests)."""

    folder: Path
    pagefind: str
    chunk_size: int
    paths: dict[str, str]  # chunk key -> its folder relative to ``folder``
    chunks: list[list[Page]]

    def pages(self) -> dict[str, Page]:
        return {p.rel: p for c in self.chunks for p in c}


def write_state(folder: Path, chunks: list[Chunk], chunk_size: int) -> None:
    state = {
        "version": STATE_VERSION,
        "pagefind": _pagefind_version(),
        "chunk_size": chunk_size,
        "chunks": [
            {"path": c.manifest()["path"], "key": c.key, "pages": [p.row() for p in c.pages]} for c in chunks
        ],
    }
    (folder / STATE).write_text(json.dumps(state, separators=(",", ":")), encoding="utf-8")


def read_state(site: Path) -> State:
    """The index state of a built site (``site/pagefind/indexed.json``); :class:`ImrkbError` naming
    the file when it is missing or not what this module writes."""
    folder = site / "pagefind"
    path = folder / STATE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") != STATE_VERSION:
            raise ValueError(f"version {data.get('version')!r}, not {STATE_VERSION}")
        chunks = [[Page.from_row(r) for r in c["pages"]] for c in data["chunks"]]
        paths = {c["key"]: c["path"] for c in data["chunks"]}
        return State(folder, str(data["pagefind"]), int(data["chunk_size"]), paths, chunks)
    except FileNotFoundError:
        raise ImrkbError(f"{path}: no index state") from None
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ImrkbError(f"{path}: unreadable index state ({e})") from None


def current_pages(
    site: Path, state: State | None, written: Collection[str] | None, paths: Iterable[str] | None = None
) -> list[Page]:
    """The site's decision pages (``paths``, when the caller knows them; else found on disk). With
    ``written`` (the pages this build wrote) and a previous ``state``, a page not written is the
    previous build's file and its row is taken from the state unread; otherwise every page is read
    and hashed."""
    known = state.pages() if state is not None and written is not None else {}
    todo = set(written or ())
    out = []
    for rel in page_paths(site) if paths is None else paths:
        p = known.get(rel)
        if p is None or rel in todo:
            p = read_page(site, rel)
        if p is not None:
            out.append(p)
    return out


def _link_tree(src: Path, dest: Path) -> None:
    """Hard links (copies across file systems) in ``dest`` to the Pagefind files of index ``src``:
    new directory entries only, so the files of ``src`` (a live site) are never written."""
    dest.mkdir(parents=True, exist_ok=True)
    for entry in os.scandir(src):
        if entry.is_dir(follow_symlinks=False):
            if entry.name in PAGEFIND_DIRS:
                _link_tree(Path(entry.path), dest / entry.name)
        elif entry.name not in (MANIFEST, STATE):
            link_new(entry.path, dest / entry.name)


def carry_index(previous: Path, site: Path) -> bool:
    """Hard-link the search index of the site ``previous`` (its ``pagefind/``, chunks and state) into
    the new build ``site``, for a later in-place ``index_site(site, previous=site)`` (or ``python -m
    imrkb.site.searchindex SITE``) to reuse after ``previous`` is gone. False if it has no index."""
    src = previous.resolve() / "pagefind"
    if not (src / STATE).is_file():
        return False
    dest = site / "pagefind"
    shutil.rmtree(dest, ignore_errors=True)
    for folder in [src, *(p for p in src.iterdir() if p.is_dir() and p.name not in PAGEFIND_DIRS)]:
        _link_tree(folder, dest / folder.relative_to(src))
    for name in (MANIFEST, STATE):
        link_new(src / name, dest / name)
    return True


def _reusable(folder: Path, chunk: Chunk) -> str | None:
    """Why the previous index ``folder`` of ``chunk`` cannot be reused (``None``: it can)."""
    try:
        entry = json.loads((folder / "pagefind-entry.json").read_text(encoding="utf-8"))
        langs = entry["languages"].values()
        if sum(int(lang["page_count"]) for lang in langs) != len(chunk.pages):
            return "its page count differs"
        for f in ["pagefind.js", *(f"pagefind.{lang['hash']}.pf_meta" for lang in langs)]:
            if not (folder / f).is_file():
                return f"{f} is missing"
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        return f"pagefind-entry.json is unreadable ({e})"
    return None


def _run_pagefind(site: Path, chunk: Chunk, dest: Path) -> None:
    """One Pagefind run over exactly ``chunk``'s pages: a folder of hard links with the site's paths."""
    with tempfile.TemporaryDirectory(prefix=f"pagefind-{chunk.name}-", dir=dest.parent) as tmp:
        view = Path(tmp) / "site"
        for p in chunk.pages:
            target = view / p.rel
            target.parent.mkdir(parents=True, exist_ok=True)
            link_new(site / p.rel, target)
        cmd = [sys.executable, "-m", "pagefind", "--site", str(view), "--output-path", str(dest), "--silent"]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        except OSError as e:
            raise ImrkbError(f"cannot run pagefind: {e}") from None
    if proc.returncode != 0 or not (dest / "pagefind.js").is_file():
        detail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise ImrkbError(
            f"pagefind failed on chunk {chunk.name} (exit {proc.returncode}): {' / '.join(detail)}"
        )
    for name in UNUSED:  # Pagefind's ready-made UIs: the site uses only its JS API
        (dest / name).unlink(missing_ok=True)
    try:
        pagefindnames.shorten(dest)  # smaller metadata for the browser; the same results
    except pagefindnames.Unknown as e:
        print(f"pagefind: {e}: fragment names left as Pagefind wrote them", file=sys.stderr)


def _previous(previous: Path | None, say: Callable[[str], None]) -> State | None:
    """The previous index to reuse chunks from, or ``None`` (with a message why) for a full run."""
    if previous is None:
        return None
    try:
        state = read_state(previous.resolve())
    except ImrkbError as e:
        say(f"pagefind: {e}: indexing every chunk")
        return None
    if state.pagefind != _pagefind_version():
        say(f"pagefind: the previous index is from Pagefind {state.pagefind}: indexing every chunk")
        return None
    return state


def index_site(
    site: Path,
    *,
    previous: Path | None = None,
    written: Collection[str] | None = None,
    pages: Iterable[str] | None = None,
    chunk_size: int = CHUNK_SIZE,
    jobs: int = 1,
    say: Callable[[str], None] = lambda _m: None,
    throw_away: Callable[[Path], None] = lambda p: shutil.rmtree(p, ignore_errors=True),
) -> list[dict[str, object]]:
    """Build ``site/pagefind/`` as chunked Pagefind indexes plus ``chunks.json``; return the manifest.

    ``previous`` is the last build's site (only read; it may be ``site`` itself): its chunk
    boundaries are kept and every chunk whose pages are unchanged (same paths, same bytes) is reused
    by hard links to its files (or moved, when ``site``'s own index holds the chunk: a build folder
    recycled from an earlier build); Pagefind runs only for the others. A missing or unreadable previous
    index means a full run. ``written``, the decision pages (relative to ``site``) this build wrote,
    lets the others be taken as the previous build's files without reading them; ``pages``, every
    decision page of ``site`` (relative to it), spares a walk of its folders. ``throw_away`` deletes
    the old index's left-over folder (default: at once).

    The environment variables ``IMRKB_PAGEFIND_JOBS`` and ``IMRKB_PAGEFIND_CHUNK`` override ``jobs``
    and ``chunk_size``.
    The new index is written beside the old one and moved into place when complete."""
    site = site.resolve()
    jobs = int(os.environ.get("IMRKB_PAGEFIND_JOBS") or jobs)  # set by parallel shard builds
    chunk_size = chunk_size_setting(chunk_size)
    state = _previous(previous, say)
    pages = current_pages(site, state, written, pages)
    keep = state is not None and state.chunk_size == chunk_size
    if state is not None and not keep:
        say(f"pagefind: chunk size {chunk_size}, was {state.chunk_size}: new chunk boundaries")
    chunks = plan_chunks(pages, chunk_size, state.chunks if state is not None and keep else None)
    final = site / "pagefind"
    work = site / ".pagefind-new"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    todo, reused = [], 0
    for c in chunks:
        dest = work / c.name if c.name else work
        mine = final / c.name if c.name else None  # this site's own copy (a recycled build's): moved
        if mine is not None and mine.is_dir() and _reusable(mine, c) is None:
            os.rename(mine, dest)
            reused += 1
            continue
        old = state.folder / state.paths[c.key] if state is not None and c.key in state.paths else None
        why = _reusable(old, c) if old is not None else None
        if old is not None and why is None:
            _link_tree(old, dest)
            reused += 1
        else:
            if why is not None:
                say(f"pagefind: cannot reuse {old}: {why}")
            todo.append((c, dest))
    say(
        f"pagefind: {len(pages)} pages in {len(chunks)} chunks: {reused} reused, "
        f"{len(todo)} to index, {jobs} at a time"
    )
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        list(pool.map(lambda t: _run_pagefind(site, *t), todo))
    manifest = [c.manifest() for c in chunks]
    (work / MANIFEST).write_text(json.dumps({"version": 1, "chunks": manifest}, indent=1), encoding="utf-8")
    write_state(work, chunks, chunk_size)
    old_dir = site / ".pagefind-old"
    shutil.rmtree(old_dir, ignore_errors=True)
    if final.exists():
        final.rename(old_dir)
    work.rename(final)
    if old_dir.exists():  # the chunks not reused: ``throw_away`` may delete them in the background
        throw_away(old_dir)
    return manifest


def main(argv: list[str] | None = None) -> int:
    """``python -m imrkb.site.searchindex SITE [--previous OLD | --full]``: (re)build the chunked index
    of a built site, reusing the unchanged chunks of OLD's index (by default SITE's own)."""
    import argparse

    ap = argparse.ArgumentParser(prog="python -m imrkb.site.searchindex")
    ap.add_argument("site", type=Path)
    ap.add_argument("--previous", type=Path, help="the last build's site (default: SITE itself)")
    ap.add_argument("--full", action="store_true", help="index every chunk, reuse nothing")
    ap.add_argument(
        "--pages",
        type=Path,
        help='JSON {"pages": [...], "written": [...] or null}: the site\'s decision pages and those its '
        "build wrote since --previous (the others are not read)",
    )
    args = ap.parse_args(argv)
    previous = None if args.full else (args.previous or args.site)
    say = lambda m: print(m, file=sys.stderr)  # noqa: E731
    pages = written = None
    if args.pages is not None:
        try:
            known = json.loads(args.pages.read_text(encoding="utf-8"))
            pages, written = known["pages"], known["written"]
        except (OSError, ValueError, KeyError, TypeError) as e:
            print(f"imrkb: {args.pages}: not a page list ({e})", file=sys.stderr)
            return 2
        if args.previous is None:  # written since an unknown build: read every page
            written = None
    try:
        index_site(
            args.site,
            previous=previous,
            written=written,
            pages=pages,
            jobs=min(2, os.cpu_count() or 1),
            say=say,
        )
    except ImrkbError as e:
        print(f"imrkb: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
