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
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ImrkbError

#: Pages per Pagefind run: about 0.8 GB of Pagefind memory, measured (bench/run.py).
CHUNK_SIZE = 5000
MANIFEST = "chunks.json"
UNUSED = (
    "pagefind-ui.js",
    "pagefind-ui.css",
    "pagefind-component-ui.js",
    "pagefind-component-ui.css",
    "pagefind-modular-ui.js",
    "pagefind-modular-ui.css",
    "pagefind-highlight.js",
)
_SORT = re.compile(r'data-pagefind-sort="date">([^<]*)<')
_FILTER = re.compile(r'data-pagefind-filter="([^"]+)">([^<]*)<')


@dataclass
class Page:
    rel: str  # path of the page's index.html relative to the site
    date: str
    filters: list[tuple[str, str]]


@dataclass
class Chunk:
    name: str
    pages: list[Page] = field(default_factory=list)

    def manifest(self) -> dict[str, object]:
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        for p in self.pages:
            for k, v in set(p.filters):
                counts[k][v] += 1
        dates = [p.date for p in self.pages]
        return {
            "path": f"{self.name}/" if self.name else "",
            "pages": len(self.pages),
            "newest": max(dates),
            "oldest": min(dates),
            "filters": {k: dict(sorted(c.items())) for k, c in sorted(counts.items())},
        }


def read_page(site: Path, rel: str) -> Page:
    """The sort date and filters of one built decision page (as the build wrote them)."""
    text = (site / rel).read_text(encoding="utf-8")
    m = _SORT.search(text)
    filters = [(html.unescape(k), html.unescape(v)) for k, v in _FILTER.findall(text)]
    return Page(rel, html.unescape(m.group(1)) if m else "0000-00-00", filters)


def decision_pages(site: Path) -> Iterable[Page]:
    """Every built decision page ``decisions/<year>/<id>/index.html`` of ``site``."""
    base = site / "decisions"
    if not base.is_dir():
        return
    for year in sorted(os.listdir(base)):
        ydir = base / year
        if not ydir.is_dir():
            continue
        for name in sorted(os.listdir(ydir)):
            if (ydir / name / "index.html").is_file():
                yield read_page(site, f"decisions/{year}/{name}/index.html")


def plan_chunks(pages: Iterable[Page], chunk_size: int = CHUNK_SIZE) -> list[Chunk]:
    """Cut pages into chunks of at most ``chunk_size``, newest first, each a run of consecutive dates
    (ties by path). One chunk is named ``""``: its index is ``pagefind/`` itself, as with one run."""
    if chunk_size < 1:
        raise ImrkbError(f"chunk size must be at least 1, not {chunk_size}")
    rows = sorted(pages, key=lambda p: (p.date, p.rel), reverse=True)
    n = max(1, -(-len(rows) // chunk_size))
    if n == 1:
        return [Chunk("", rows)]
    width = len(str(n))
    return [Chunk(f"part-{k + 1:0{width}d}", rows[k * chunk_size : (k + 1) * chunk_size]) for k in range(n)]


def _run_pagefind(site: Path, chunk: Chunk, dest: Path) -> None:
    """One Pagefind run over exactly ``chunk``'s pages: a folder of hard links with the site's paths."""
    with tempfile.TemporaryDirectory(prefix=f"pagefind-{chunk.name}-", dir=dest.parent) as tmp:
        view = Path(tmp) / "site"
        for p in chunk.pages:
            target = view / p.rel
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(site / p.rel, target)
            except OSError:  # another file system: a copy does the same
                shutil.copyfile(site / p.rel, target)
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


def index_site(
    site: Path,
    *,
    chunk_size: int = CHUNK_SIZE,
    jobs: int = 1,
    say: Callable[[str], None] = lambda _m: None,
) -> list[dict[str, object]]:
    """Build ``site/pagefind/`` as chunked Pagefind indexes plus ``chunks.json``; return the manifest.

    The environment variables ``IMRKB_PAGEFIND_JOBS`` and ``IMRKB_PAGEFIND_CHUNK`` override ``jobs``
    and ``chunk_size``.
    The new index is written beside the old one and moved into place when complete."""
    site = site.resolve()
    jobs = int(os.environ.get("IMRKB_PAGEFIND_JOBS") or jobs)  # set by parallel shard builds
    chunk_size = int(os.environ.get("IMRKB_PAGEFIND_CHUNK") or chunk_size)
    chunks = plan_chunks(decision_pages(site), chunk_size)
    final = site / "pagefind"
    work = site / ".pagefind-new"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    say(f"pagefind: {sum(len(c.pages) for c in chunks)} pages in {len(chunks)} chunks, {jobs} at a time")
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        list(pool.map(lambda c: _run_pagefind(site, c, work / c.name if c.name else work), chunks))
    manifest = [c.manifest() for c in chunks]
    (work / MANIFEST).write_text(json.dumps({"version": 1, "chunks": manifest}, indent=1), encoding="utf-8")
    old = site / ".pagefind-old"
    shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        final.rename(old)
    work.rename(final)
    shutil.rmtree(old, ignore_errors=True)
    return manifest


def main(argv: list[str] | None = None) -> int:
    """``python -m imrkb.site.searchindex SITE``: (re)build the chunked index of a built site."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m imrkb.site.searchindex SITE", file=sys.stderr)
        return 2
    try:
        index_site(Path(args[0]), jobs=min(2, os.cpu_count() or 1))
    except ImrkbError as e:
        print(f"imrkb: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
