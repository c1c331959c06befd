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
from ..takedown import load_ledger
from . import buildstate, notices, pages, recordcache, render, stamp
from .buildstate import BuildState
from .corpus import Corpus, Light, light, listing_keys, read_cached, record_paths
from .exports import csv_header
from .feeds import atom_feed
from .publish import MARKER, Slot, discard, publishing, throw_away
from .recordcache import RecordCache, cache_path
from .rows import newest_first_key
from .searchindex import index_site
from .sitefiles import SiteFiles, link_copy, replay
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
    #: The corpus as built (its rows and guideline aggregates): a shard's summary is counted from it.
    corpus: Corpus | None = dataclasses.field(default=None, repr=False, compare=False)
    #: Every decision page (site paths), and those this build wrote (``None``: a fresh folder, all):
    #: what the search index needs to know to read only the pages that changed.
    decision_pages: list[str] = dataclasses.field(default_factory=list, repr=False, compare=False)
    written: list[str] | None = dataclasses.field(default=None, repr=False, compare=False)


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


def sitemap_files(mkdocs_sitemap: str, site_url: str, urls: Iterable[str]) -> dict[str, bytes]:
    """The sitemap: the pages of MkDocs' own sitemap (hand-written and navigation pages) and the
    stamped pages ``urls``. Past :data:`SITEMAP_MAX` URLs, ``sitemap.xml`` is an index of
    ``sitemaps/N.xml`` files. Returns the files by site path (``sitemap.xml.gz`` too)."""
    from xml.etree import ElementTree as ET
    from xml.sax.saxutils import escape

    locs = [e.text or "" for e in ET.fromstring(mkdocs_sitemap).iter() if e.tag.endswith("loc")]
    base = site_url if site_url.endswith("/") else site_url + "/"
    have = set(locs)
    locs += [base + u for u in urls if base + u not in have]
    head = '<?xml version="1.0" encoding="UTF-8"?>\n'
    ns = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'

    def urlset(chunk: list[str]) -> str:
        body = "".join(f"  <url><loc>{escape(u)}</loc></url>\n" for u in chunk)
        return f"{head}<urlset {ns}>\n{body}</urlset>\n"

    out: dict[str, bytes] = {}
    if len(locs) <= SITEMAP_MAX:
        text = urlset(locs)
    else:
        parts = []
        for k in range(0, len(locs), SITEMAP_MAX):
            name = f"sitemaps/{k // SITEMAP_MAX + 1}.xml"
            out[name] = urlset(locs[k : k + SITEMAP_MAX]).encode("utf-8")
            parts.append(f"  <sitemap><loc>{escape(base + name)}</loc></sitemap>\n")
        text = f"{head}<sitemapindex {ns}>\n{''.join(parts)}</sitemapindex>\n"
    out["sitemap.xml"] = text.encode("utf-8")
    out["sitemap.xml.gz"] = gzip.compress(out["sitemap.xml"], mtime=0)
    return out


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
    full: bool = False,
    say: Callable[[str], None] = _say,
) -> BuildReport:
    """Build the site for the corpus under ``root`` and publish it at ``out`` (default ``root/site``)
    atomically: see :mod:`imrkb.site.publish`. A failed or killed build leaves the published site as it
    was. A rebuild renders and writes only what changed since the published build (see
    :mod:`imrkb.site.buildstate`); ``full`` renders everything into an empty folder."""
    root = root.resolve()
    out = out or root / "site"
    out = out.parent.resolve() / out.name  # not resolve(): ``out`` is a link to the published build
    info: dict[str, object] = {}
    with publishing(out, info, recycle=not full) as slot:
        report = _build(root, out, slot, site_url=site_url, search_index=search_index, full=full, say=say)
        info.update(decisions=report.decisions, items=report.items, pages=report.pages)
    return dataclasses.replace(report, out=out)


@dataclass
class _Start:
    """How a build's folder starts: ``files`` to write it, ``reuse`` the live build's state when its
    pages can be trusted (same code, catalog and URL), ``known`` its state in any case (what exists)."""

    files: SiteFiles
    reuse: BuildState | None
    known: BuildState | None
    how: str


def _start(root: Path, out: Path, slot: Slot, fp: str, full: bool, removed: set[str]) -> _Start:
    """Bring the slot's folder level with the live build (replaying the live build's changes onto a
    recycled standby, else hard-linking the live build) or leave it empty for a fresh build.

    When a decision was taken down since the live build (or that cannot be told), the live build is not
    kept as the next standby and an unusable standby is deleted at once: no copy of it survives."""
    live = slot.live
    known = None if full else buildstate.load(root, out, live)
    folder = slot.folder
    if known is None:
        taken = bool(removed)
    else:
        taken = any(lt[0][0] in removed for _s, lt in known.records.values())
    slot.keep_live = not taken
    if known is not None and live is not None:
        reuse = known if known.fingerprint == fp else None
        if slot.recycled is not None and known.base == slot.recycled and known.changes is not None:
            n = replay(folder, live, known.changes)
            return _Start(
                SiteFiles(folder, fresh=False), reuse, known, f"standby {slot.recycled} + {n} changes"
            )
        if slot.recycled is not None:
            discard(out, folder, now=taken)
        n = link_copy(live, folder, skip={MARKER})
        return _Start(SiteFiles(folder, fresh=False), reuse, known, f"linked {n} files of {live.name}")
    if slot.recycled is not None:
        discard(out, folder, now=taken)
    return _Start(SiteFiles(folder, fresh=True), None, None, "fresh")


def _build(
    root: Path,
    out: Path,
    slot: Slot,
    *,
    site_url: str | None,
    search_index: bool,
    full: bool,
    say: Callable[[str], None],
) -> BuildReport:
    """Build the site for the corpus under ``root`` into the slot's folder."""
    t0 = time.monotonic()
    work = root / "build"
    staging, mk_out = work / "docs", work / "mkdocs-site"
    for d in (staging, mk_out, work / "extra"):
        if d.exists():
            shutil.rmtree(d)
    shutil.copytree(PROJECT_DIR / "docs", staging)
    work.mkdir(parents=True, exist_ok=True)

    fp = buildstate.fingerprint(PROJECT_DIR, site_url or "")
    removed = set(load_ledger(root))
    start = _start(root, out, slot, fp, full, removed)
    files, reuse, known = start.files, start.reuse, start.known
    say(
        f"site folder: {start.how}"
        + ("" if reuse or not known else " (code, catalog or URL changed: every page)")
    )

    catalog = load_catalog()
    corpus = Corpus(catalog)
    # Pass 1: every record's light rows: unchanged records' from the state, the others read (from the
    # record cache when unchanged since another build) and checked for personal data.
    scan: dict[str, tuple[Path, os.stat_result]] = {}
    for path in record_paths(root):
        if path.stem not in removed:
            scan[path.relative_to(root).as_posix()] = (path, path.stat())
    before = reuse.records if reuse is not None else {}
    lights: dict[str, tuple[str, Light]] = {}
    read: dict[str, str] = {}  # file -> id of the records read this build (spooled for pass 2)
    blocked: list[str] = []
    spool = Spool(work / "records.spool")
    cache = RecordCache(cache_path(root))

    def first_pass() -> Iterator[tuple[str, Decision]]:
        for k, (rel, (path, st)) in enumerate(scan.items(), start=1):
            stamp_ = recordcache.stamp(st)
            old = before.get(rel)
            if old is not None and old[0] == stamp_:
                lt = old[1]
                d = None
            else:
                d, found = read_cached(path, rel, st, cache)
                if d.id in removed:
                    continue
                blocked.extend(found)  # the personal-data gate
                lt = light(d, catalog)
            if lt[0][0] in removed:
                continue
            lights[rel] = (stamp_, lt)
            corpus.add_light(path, lt)
            if d is not None:
                read[rel] = d.id
                spool.add(path, d)
                yield rel, d
            if k % 5000 == 0:
                say(f"read {k} records")

    records = first_pass()
    try:  # the "similar decisions" table: exact, incremental
        if reuse is None:  # it takes the records as they are read
            update = update_neighbours(root, records, jobs=min(2, os.cpu_count() or 1), say=say)
        for _ in records:  # every record reaches the corpus, whatever the table read
            pass
        if reuse is not None:  # it reads the few changed records itself
            update = update_neighbours(root, None, jobs=min(2, os.cpu_count() or 1), say=say)
        similar = update.table
    except BaseException:
        cache.close(prune=False)
        raise
    cache.close(keep=set(scan))
    say(f"read {len(read)} of {len(lights)} records ({cache.misses} parsed)")
    if blocked:
        spool.close()
        spool.path.unlink(missing_ok=True)
        raise ImrkbError(pii.refusal(blocked))
    corpus.finish()
    rows_by_id = {r.id: r for r in corpus.decisions}
    current = {lt[0][0]: rel for rel, (_s, lt) in lights.items()}
    gone = {
        lt[0][0]: lt for rel, (_s, lt) in (known.records.items() if known else ()) if lt[0][0] not in current
    }

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
    feed_url = run_mkdocs(staging, mk_out, site_url)
    stamper = stamp.Stamper(mk_out, STAMP_DEPTHS, nav, put=files.put)
    templates = stamper.digest()
    if reuse is not None and reuse.templates != templates:
        say("page templates changed (theme or navigation): every page")
        reuse = None
    other: set[str] = set()
    skip = {f"{u}index.html" for u in nav}
    for dirpath, dirs, names in os.walk(mk_out):
        here = Path(dirpath)
        if here == mk_out:
            dirs[:] = [d for d in dirs if d != stamp.TEMPLATE_DIR]
        for name in names:
            rel = (here / name).relative_to(mk_out).as_posix()
            if rel not in skip and rel not in ("sitemap.xml", "sitemap.xml.gz"):
                files.put(rel, (here / name).read_bytes())
                other.add(rel)

    # Which decision pages to render: every one, or those whose record, guideline page numbers or
    # similar decisions changed.
    numbers = {lt[0][0]: corpus.page_numbers(lt) for _s, lt in lights.values()}
    if reuse is None:
        dirty = set(current)
    else:
        touched = set(read.values()) | set(gone)
        dirty = set(read.values()) | {x for x in update.changed if x in current}
        dirty |= {
            x for x, near in similar.lists.items() if x in current and any(o in touched for o, _ in near)
        }
        dirty |= {x for x, n in numbers.items() if reuse.page_numbers.get(x) != n}
    for lt in gone.values():  # removed decisions: their page and record files
        base = lt[0][1].rstrip("/")
        for rel in (f"{base}/index.html", f"{base}.yaml", f"{base}.json"):
            files.remove(rel)

    def render_one(path: Path, d: Decision, with_record: bool) -> None:
        url, cats, filters = corpus.describe(d)
        targets = functools.partial(corpus.targets, d.id)
        near = similar[d.id] if d.id in similar.lists else []  # every decision is there; be safe
        like = [rows_by_id[o] for o, _ in near if o in rows_by_id]
        stamper.write(url, safe_title(d.id), render.decision_page(d, url, cats, targets, filters, like))
        if with_record:
            base = url.rstrip("/")
            if d.pii or d.pii_override:  # review data is never published: write the public record
                files.put(f"{base}.yaml", to_yaml(public_dict(d)))
            else:  # the common case: the record file as it is (dumping YAML again costs ~0.4 ms a record)
                files.put(f"{base}.yaml", path.read_bytes())
            files.put(f"{base}.json", to_json(public_dict(d)) + "\n")

    # Pass 2: decision pages and per-record files; records read this build from the spool, other
    # dirty ones from the record cache.
    n_rendered = 0
    for path, d in spool.read():
        if d.id in dirty and d.id in current:
            render_one(path, d, True)
            n_rendered += 1
            if n_rendered % 5000 == 0:
                say(f"rendered {n_rendered} decisions")
    spool.path.unlink(missing_ok=True)
    rest = sorted(current[x] for x in dirty - set(read.values()))
    if rest:
        cache = RecordCache(cache_path(root))
        try:
            for rel in rest:
                path, st = scan[rel]
                render_one(path, read_cached(path, rel, st, cache)[0], reuse is None)
                n_rendered += 1
        finally:
            cache.close(prune=False)
    say(f"rendered {n_rendered} of {len(current)} decision pages")

    # The paginated lists: every one, or those a changed decision is or was on.
    lists = pages.listings(corpus)
    old_lists = known.listings if known is not None else {}
    if reuse is None:
        keys = set(lists) | set(old_lists)
    else:
        keys = set()
        for rel in read:
            was = before.get(rel)
            if was is None or was[1] != lights[rel][1]:
                keys |= listing_keys(lights[rel][1]) | (listing_keys(was[1]) if was else set())
        for lt in gone.values():
            keys |= listing_keys(lt)
    listing_urls = {k: v for k, v in old_lists.items() if k in lists and k not in keys}
    n_lists = 0
    for key in sorted(keys):
        urls = []
        for url, title, html in lists[key]() if key in lists else ():
            stamper.write(url, safe_title(title), html)
            urls.append(url)
        n_lists += len(urls)
        for url in set(old_lists.get(key, ())) - set(urls):
            files.remove(f"{url}index.html")
        if urls:
            listing_urls[key] = urls
    fixed = []
    for url, title, html in pages.index_pages(corpus):
        stamper.write(url, safe_title(title), html)
        fixed.append(url)
    notice_urls = []
    for url, title, html in notices.notice_pages(root):  # taken-down decisions: a notice at their URL
        stamper.write(url, safe_title(title), html, in_sitemap=False)
        notice_urls.append(url)
    # (A notice stays when its ledger entry is deleted by hand: the state names no taken-down decision.)
    stale = set(known.fixed_pages if known else ()) - set(fixed)
    for url in stale:
        files.remove(f"{url}index.html")
    generated = {r.url for r in corpus.decisions} | {u for v in listing_urls.values() for u in v} | set(fixed)
    missing = sorted(set(nav) - generated)
    if missing:
        raise ImrkbError(
            f"pages in the navigation or linked from docs/ were not generated: {', '.join(missing)}"
        )
    say(f"wrote {n_rendered + n_lists + len(fixed)} pages ({len(current)} decisions, {n_lists} list pages)")

    # Sitemap, feed and downloads.
    listed = sorted(generated - set(nav))
    mk_sitemap = (mk_out / "sitemap.xml").read_text(encoding="utf-8")
    for rel, data in sitemap_files(mk_sitemap, feed_url, listed).items():
        files.put(rel, data)
        other.add(rel)
    newest = sorted(corpus.decisions, key=newest_first_key)[:FEED_SIZE]
    files.put("feed.xml", atom_feed(newest, feed_url, title="imrkb: newest IMR decisions"))
    other.add("feed.xml")
    for rel in _downloads(root, work, scan, lights, files):
        other.add(rel)
    for rel in set(known.other_files if known else ()) - other:
        files.remove(rel)
    shutil.rmtree(mk_out, ignore_errors=True)

    written = None
    if files.changes is not None:
        written = {r for r in files.changed if r.startswith("decisions/") and r.endswith("/index.html")}
    decision_pages = sorted(f"{r.url}index.html" for r in corpus.decisions)
    if search_index:
        say("indexing decision pages with pagefind")
        # Two chunks at a time on two cores (a Pagefind run is one thread, ~0.4 GB for a chunk of 2,500
        # pages; at 100,000 decisions: 603 -> 570 s wall, the build's peak memory unchanged, 3.95 GB
        # PSS, reached before); a shard's build sets IMRKB_PAGEFIND_JOBS=1, its parallelism being the
        # shards. Chunks whose pages are unchanged are reused (moved from this folder's own index when
        # it is a recycled build, else linked from the live build).
        index_site(
            files.folder,
            previous=slot.live,
            written=written,
            pages=decision_pages,
            jobs=min(2, os.cpu_count() or 1),
            say=say,
            throw_away=functools.partial(throw_away, out),
        )

    state = BuildState(
        fp,
        templates,
        base=slot.live.name if slot.live is not None and not files.fresh else None,
        changes=files.changes if slot.keep_live else None,  # no standby to replay it onto: forgotten
        records=lights,
        page_numbers=numbers,
        listings=listing_urls,
        fixed_pages=fixed,
        other_files=sorted(other),
    )
    kept = {slot.live.name} if slot.live is not None and slot.keep_live else set()
    buildstate.save(root, out, files.folder, state, keep=kept)
    n_pages = len(current) + sum(len(v) for v in listing_urls.values()) + len(fixed) + len(notice_urls)
    return BuildReport(
        len(corpus.decisions),
        len(corpus.items),
        n_pages,
        out,
        time.monotonic() - t0,
        corpus=corpus,
        decision_pages=decision_pages,
        written=sorted(written) if written is not None else None,
    )


def _downloads(
    root: Path,
    work: Path,
    scan: dict[str, tuple[Path, os.stat_result]],
    lights: dict[str, tuple[str, Light]],
    files: SiteFiles,
) -> list[str]:
    """The bulk downloads (JSON Lines and CSV, records in file order), from the record cache's lines."""
    jsonl_tmp, csv_tmp = work / "decisions.jsonl", work / "decisions.csv"
    cache = RecordCache(cache_path(root))
    try:
        with jsonl_tmp.open("w", encoding="utf-8") as fj, csv_tmp.open("w", encoding="utf-8") as fc:
            fc.write(csv_header())
            for rel, (stamp_, _lt) in lights.items():
                got = cache.lines(rel, stamp_)
                if got is None:  # not cached (a cache deleted since): read the record again
                    path, st = scan[rel]
                    read_cached(path, rel, st, cache)
                    got = cache.lines(rel, stamp_)
                    assert got is not None
                fj.write(got[0])
                fc.write(got[1])
    finally:
        cache.close(prune=False)
    files.move_in("data/decisions.jsonl", jsonl_tmp)
    files.move_in("data/decisions.csv", csv_tmp)
    return ["data/decisions.jsonl", "data/decisions.csv"]
