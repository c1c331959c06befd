"""``imrkb build``: records -> staged pages -> ``mkdocs build`` -> downloads, feed -> Pagefind index.

Layout (``ROOT`` is the corpus root, ``OUT`` the site):

* ``ROOT/build/docs/``: hand-written ``docs/`` copied, plus every generated page (never committed);
* ``ROOT/build/extra/``: files that are not pages (record YAML/JSON, bulk downloads, Atom feed), moved
  into ``OUT`` after MkDocs has built it (MkDocs cleans its output first);
* ``OUT/pagefind/``: the search index over the decision pages;
* ``OUT`` itself is a link to the finished build in ``OUT.builds/``, switched atomically (see
  :mod:`imrkb.site.publish`).

Two passes read the records: the first keeps light rows (so guideline pages can be laid out and a
decision can link to the exact page listing it), the second renders each decision page as it is read.
Work is linear in the corpus.
"""

from __future__ import annotations

import dataclasses
import functools
import gzip
import itertools
import json
import os
import posixpath
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .. import pii
from ..catalog import load_catalog
from ..errors import ImrkbError
from ..models import Decision
from ..records import public_dict, to_json, to_yaml
from ..search.neighbour_table import update_neighbours
from . import notices, pages, render, stamp
from .corpus import Corpus, iter_checked
from .exports import Exporter
from .feeds import atom_feed
from .publish import published, publishing
from .recordcache import RecordCache, cache_path
from .rows import newest_first_key
from .searchindex import index_site
from .spool import Spool

#: The project's source tree: mkdocs.yml, docs/, the theme overrides.
PROJECT_DIR = Path(__file__).resolve().parents[2]
FEED_SIZE = 50
#: Folder depths of generated pages (``browse/category/x/y/page/2/`` is 6); a deeper page is an error.
STAMP_DEPTHS = range(1, 10)
#: URLs a sitemap file may list (the sitemaps.org protocol); past it, sitemap.xml is an index of files.
SITEMAP_MAX = 50_000
SAFE_TITLE_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:()/+-–›'")


@dataclass(frozen=True)
class BuildReport:
    decisions: int
    items: int
    pages: int
    out: Path
    seconds: float


def safe_title(text: str) -> str:
    """A page title for front matter and theme templates: only plain characters survive."""
    t = text.replace("&", "and")
    return "".join(ch if ch in SAFE_TITLE_CHARS else " " for ch in t).strip() or "Page"


def page_path(url: str) -> str:
    """Source path of a generated page.

    ``decisions/Y/ID/`` -> ``decisions/Y/ID.md``; anything else -> ``<url>index.md``."""
    if url.startswith("decisions/"):
        return url.rstrip("/") + ".md"
    return url + "index.md"


def write_page(staging: Path, url: str, title: str, html: str, *, in_sitemap: bool = True) -> None:
    """Stage a generated page for MkDocs (its HTML bypasses Markdown: see :mod:`imrkb.site.hooks`)."""
    meta: dict[str, object] = {"title": safe_title(title), "imrkb": "html", "hide": ["toc"]}
    if not in_sitemap:  # a stamp template: the theme's sitemap leaves it out
        meta["imrkb_unlisted"] = True
    path = staging / page_path(url)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(front_matter(meta) + html + "\n", encoding="utf-8")


def front_matter(meta: dict[str, object]) -> str:
    """YAML front matter written directly (values as JSON, which YAML reads): yaml.safe_dump took 1 ms a
    page, 8% of the render time at 10,000 decisions."""
    lines = ["---"]
    for key, value in meta.items():
        if isinstance(value, list):
            lines += [f"{key}:", *(f"- {json.dumps(v)}" for v in value)]
        else:
            lines.append(f"{key}: {json.dumps(value)}")
    return "\n".join(lines) + "\n---\n"


_MD_LINK = re.compile(r"\]\(([^)#\s]+\.md)(?:#[^)\s]*)?\)")


def own_template_urls(staging: Path) -> set[str]:
    """Site paths of generated pages that MkDocs must know by name: those in the navigation (the theme
    marks the current entry) and those that hand-written pages link to (MkDocs checks their links).
    Each gets a template page at its own URL (see :mod:`imrkb.site.stamp`)."""
    from mkdocs.utils.yaml import yaml_load

    with (PROJECT_DIR / "mkdocs.yml").open(encoding="utf-8") as f:
        nav = yaml_load(f).get("nav") or []
    sources: set[str] = set()
    stack = list(nav)
    while stack:
        entry = stack.pop()
        value = next(iter(entry.values())) if isinstance(entry, dict) else entry
        if isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, str) and value.endswith(".md"):
            sources.add(value)
    for doc in staging.rglob("*.md"):
        folder = doc.parent.relative_to(staging).as_posix()
        for target in _MD_LINK.findall(doc.read_text(encoding="utf-8")):
            sources.add(posixpath.normpath(posixpath.join(folder, target)))
    generated = {s for s in sources if not s.startswith("..") and not (staging / s).is_file()}
    return {s.removesuffix("index.md").removesuffix(".md") for s in generated}


def write_sitemap(out: Path, site_url: str, urls: Iterable[str], *, skip: Iterable[str] = ()) -> int:
    """Add the stamped pages ``urls`` to the sitemap MkDocs wrote (its hand-written and navigation pages).

    Past :data:`SITEMAP_MAX` URLs, ``sitemap.xml`` becomes a sitemap index of ``sitemaps/N.xml`` files.
    Returns the number of URLs listed."""
    from xml.etree import ElementTree as ET
    from xml.sax.saxutils import escape

    path = out / "sitemap.xml"
    locs = [e.text or "" for e in ET.parse(path).getroot().iter() if e.tag.endswith("loc")]
    base = site_url if site_url.endswith("/") else site_url + "/"
    skipped = {base + u for u in skip}
    locs += [base + u for u in urls if base + u not in skipped]
    head = '<?xml version="1.0" encoding="UTF-8"?>\n'
    ns = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'

    def urlset(chunk: list[str]) -> str:
        body = "".join(f"  <url><loc>{escape(u)}</loc></url>\n" for u in chunk)
        return f"{head}<urlset {ns}>\n{body}</urlset>\n"

    if len(locs) <= SITEMAP_MAX:
        text = urlset(locs)
    else:
        (out / "sitemaps").mkdir(exist_ok=True)
        parts = []
        for k in range(0, len(locs), SITEMAP_MAX):
            name = f"sitemaps/{k // SITEMAP_MAX + 1}.xml"
            (out / name).write_text(urlset(locs[k : k + SITEMAP_MAX]), encoding="utf-8")
            parts.append(f"  <sitemap><loc>{escape(base + name)}</loc></sitemap>\n")
        text = f"{head}<sitemapindex {ns}>\n{''.join(parts)}</sitemapindex>\n"
    path.write_text(text, encoding="utf-8")
    with gzip.open(out / "sitemap.xml.gz", "wt", encoding="utf-8") as f:
        f.write(text)
    return len(locs)


def _merge_tree(src: Path, dst: Path) -> None:
    """Move every file under ``src`` to the same place under ``dst`` (folders merged)."""
    for dirpath, _dirs, files in os.walk(src):
        target = dst / Path(dirpath).relative_to(src)
        target.mkdir(parents=True, exist_ok=True)
        for f in files:
            os.replace(Path(dirpath) / f, target / f)


def _say(msg: str) -> None:
    print(f"imrkb build: {msg}", file=sys.stderr, flush=True)


def run_mkdocs(staging: Path, out: Path, site_url: str | None) -> str:
    """A real ``mkdocs build`` of ``staging`` into ``out`` with the project's mkdocs.yml (strict).

    Returns the site URL the build used."""
    import logging

    from mkdocs.commands.build import build as mk_build
    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort, ConfigurationError

    overrides: dict[str, object] = {"docs_dir": str(staging), "site_dir": str(out), "strict": True}
    if site_url:
        overrides["site_url"] = site_url
    log = logging.getLogger("mkdocs")
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("mkdocs %(levelname)s: %(message)s"))
    log.addHandler(handler)
    try:
        cfg = load_config(config_file=str(PROJECT_DIR / "mkdocs.yml"), **overrides)
        cfg.plugins.on_startup(command="build", dirty=False)
        try:
            mk_build(cfg, dirty=False)
        finally:
            cfg.plugins.on_shutdown()
        return str(cfg["site_url"] or "http://127.0.0.1:8000/")
    except (Abort, ConfigurationError) as e:
        raise ImrkbError(f"mkdocs build failed: {e}") from None
    finally:
        log.removeHandler(handler)


def run_pagefind(out: Path) -> None:
    """Index the decision pages' main content with Pagefind (the ``pagefind[bin]`` package)."""
    cmd = [sys.executable, "-m", "pagefind", "--site", str(out), "--glob", "decisions/**/*.html", "--silent"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    except OSError as e:
        raise ImrkbError(f"cannot run pagefind: {e}") from None
    if proc.returncode != 0 or not (out / "pagefind" / "pagefind.js").is_file():
        detail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise ImrkbError(f"pagefind failed (exit {proc.returncode}): {' / '.join(detail)}")


def build_site(
    root: Path,
    out: Path | None = None,
    *,
    site_url: str | None = None,
    search_index: bool = True,
    say: Callable[[str], None] = _say,
) -> BuildReport:
    """Build the whole site for the corpus under ``root`` and publish it at ``out`` (default
    ``root/site``) atomically: see :mod:`imrkb.site.publish`. A failed or killed build leaves the
    published site as it was."""
    root = root.resolve()
    out = out or root / "site"
    out = out.parent.resolve() / out.name  # not resolve(): ``out`` is a link to the published build
    info: dict[str, object] = {}
    with publishing(out, info) as folder:
        previous = published(out)  # live until the switch: only read, for the search index's reuse
        report = _build(
            root, folder, site_url=site_url, search_index=search_index, say=say, previous=previous
        )
        info.update(decisions=report.decisions, items=report.items, pages=report.pages)
    return dataclasses.replace(report, out=out)


def _build(
    root: Path,
    out: Path,
    *,
    site_url: str | None,
    search_index: bool,
    say: Callable[[str], None],
    previous: Path | None = None,
) -> BuildReport:
    """Build the whole site for the corpus under ``root`` into the empty folder ``out``."""
    t0 = time.monotonic()
    work = root / "build"
    staging, extra = work / "docs", work / "extra"
    for d in (staging, extra):
        if d.exists():
            shutil.rmtree(d)
    shutil.copytree(PROJECT_DIR / "docs", staging)
    (extra / "data").mkdir(parents=True)

    catalog = load_catalog()
    corpus = Corpus(catalog)
    # Pass 1: the light rows, so that guideline pages can be laid out before decision pages link to them.
    blocked: list[str] = []
    spool = Spool(work / "records.spool")  # pass 2 reads the parsed records back, not the YAML
    cache = RecordCache(cache_path(root))  # unchanged records are not parsed or scanned again

    def first_pass() -> Iterator[tuple[str, Decision]]:
        for k, (path, d, found) in enumerate(iter_checked(root, cache, scan=True), start=1):
            blocked.extend(found)  # the personal-data gate
            corpus.add(path, d)
            spool.add(path, d)
            if k % 5000 == 0:
                say(f"read {k} records")
            yield path.relative_to(root).as_posix(), d

    records = first_pass()
    try:  # the "similar decisions" table takes the records as they are read (exact, incremental)
        similar = update_neighbours(root, records, jobs=min(2, os.cpu_count() or 1), say=say).table
        for _ in records:  # every record reaches the corpus, whatever the table read
            pass
    finally:
        cache.close()
    say(f"read {cache.hits + cache.misses} records ({cache.misses} parsed, {cache.hits} unchanged)")
    rows_by_id = {r.id: r for r in corpus.decisions}
    if blocked:
        spool.close()
        spool.path.unlink(missing_ok=True)
        raise ImrkbError(pii.refusal(blocked))
    corpus.finish()

    # MkDocs renders the hand-written pages and one template page per folder depth (and per generated
    # page in the navigation); every generated page is then stamped into its template (see stamp.py).
    nav = own_template_urls(staging)
    for url, title, html in stamp.template_pages(STAMP_DEPTHS, nav):
        write_page(staging, url, title, html, in_sitemap=url in nav)
    frag_dir = staging / ".fragments"
    frag_dir.mkdir()
    for name, html in pages.home_fragments(corpus).items():
        (frag_dir / f"{name}.html").write_text(html, encoding="utf-8")
    say("running mkdocs build (hand-written pages and page templates)")
    feed_url = run_mkdocs(staging, out, site_url)
    stamper = stamp.Stamper(out, STAMP_DEPTHS, nav)
    stamper.remove_templates()

    # Pass 2: decision pages, per-record files and the bulk downloads, one record at a time.
    n_pages = 0
    with (
        (extra / "data" / "decisions.jsonl").open("w", encoding="utf-8") as fj,
        (extra / "data" / "decisions.csv").open("w", encoding="utf-8", newline="") as fc,
    ):
        jsonl, csv_out = Exporter("jsonl", fj), Exporter("csv", fc)
        for k, (path, d) in enumerate(spool.read(), start=1):
            url, cats, filters = corpus.describe(d)
            targets = functools.partial(corpus.targets, d.id)
            near = similar[d.id] if d.id in similar.lists else []  # every decision is there; be safe
            like = [rows_by_id[o] for o, _ in near if o in rows_by_id]
            stamper.write(url, safe_title(d.id), render.decision_page(d, url, cats, targets, filters, like))
            rec_dir = extra / "decisions" / d.year_folder
            rec_dir.mkdir(parents=True, exist_ok=True)
            if d.pii or d.pii_override:  # review data is never published: write the public record
                (rec_dir / f"{d.id}.yaml").write_text(to_yaml(public_dict(d)), encoding="utf-8")
            else:  # the common case: the record file as it is (dumping YAML again costs ~0.4 ms a record)
                shutil.copyfile(path, rec_dir / f"{d.id}.yaml")
            (rec_dir / f"{d.id}.json").write_text(to_json(public_dict(d)) + "\n", encoding="utf-8")
            jsonl.add(d)
            csv_out.add(d)
            n_pages += 1
            if k % 5000 == 0:
                say(f"rendered {k} decisions")
    spool.path.unlink(missing_ok=True)
    say(f"rendered {len(corpus.decisions)} decision pages")

    generated: Iterable[pages.Page] = itertools.chain(
        pages.browse_pages(corpus), pages.guideline_pages(corpus), [pages.statistics_page(corpus)]
    )
    for url, title, html in generated:
        stamper.write(url, safe_title(title), html)
        n_pages += 1
    for url, title, html in notices.notice_pages(root):  # taken-down decisions: a notice at their URL
        stamper.write(url, safe_title(title), html, in_sitemap=False)
        n_pages += 1
    stamper.check_nav_written()
    say(f"wrote {n_pages} generated pages")
    write_sitemap(out, feed_url, stamper.listed, skip=stamper.nav_urls)

    newest = sorted(corpus.decisions, key=newest_first_key)[:FEED_SIZE]
    (extra / "feed.xml").write_text(
        atom_feed(newest, feed_url, title="imrkb: newest IMR decisions"), encoding="utf-8"
    )
    _merge_tree(extra, out)
    if search_index:
        say("indexing decision pages with pagefind")
        # One chunk at a time (bounded memory); chunks whose pages are unchanged since the previous build
        # are reused from it (every page is hashed: this build wrote them all afresh).
        index_site(out, previous=previous, jobs=1, say=say)
    return BuildReport(len(corpus.decisions), len(corpus.items), n_pages, out, time.monotonic() - t0)
