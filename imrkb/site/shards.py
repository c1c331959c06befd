"""Sharded builds: one independent site per decision year, joined by a small top-level site.

A corpus too big for one build (MkDocs holds every page in memory) is built as shards, one per year
folder of ``decisions/``. Each shard is a complete site of that year's decisions (its own MkDocs build
and chunked Pagefind index, so its memory depends on the year's size, not the corpus's), built by
``imrkb build --shard YEAR`` on any machine into ``SHARDS/YEAR/`` with a ``summary.json`` of its counts.
``imrkb build --assemble`` then makes the published folder: a top-level MkDocs site (home, guideline,
browse and statistics pages computed from the shards' summaries, never from the records), every shard
under ``shards/YEAR/``, the bulk downloads concatenated, and ``pagefind/chunks.json`` listing every
shard's index chunks so the search page merges them in the browser. ``imrkb build --shards`` does both,
building shards in parallel processes.

Memory of the assemble step grows with the number of shards and guideline pages, not with decisions.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ..catalog import load_catalog
from ..errors import ImrkbError, UsageError
from ..records import atomic_write_text
from ..takedown import LEDGER_DIR, load_ledger
from . import buildstate, searchindex
from .build import PROJECT_DIR, _say, run_mkdocs, write_page
from .charts import Bar, bar_chart
from .corpus import Corpus
from .feeds import atom_feed
from .guides import unit_info
from .html import attr, esc, pct, rel
from .pages import _unit_counts, home_counts
from .publish import MARKER, marker, published, publishing, standby
from .recordcache import stamp
from .render import decision_table
from .rows import DecisionRow, newest_first_key
from .searchindex import MANIFEST
from .sitefiles import link_new, sync_links

SUMMARY = "summary.json"
NEWEST = 50
#: Entries of the corpus root a shard's view does not link (the shard has its own decisions/ and work).
PRIVATE = {"decisions", "build", "site", "site.builds", "shards", "shards.builds", ".shards"}


def default_shards_dir(root: Path) -> Path:
    return root / "shards"


def shard_years(root: Path) -> list[str]:
    """The year folders of ``root/decisions`` that hold records, oldest first."""
    base = root / "decisions"
    if not base.is_dir():
        raise ImrkbError(f"{base}: no decisions folder (is --root the corpus root?)")
    return sorted(p.name for p in base.iterdir() if p.is_dir() and any(p.glob("*.yaml")))


def _view(root: Path, year: str) -> Path:
    """A corpus root holding only ``year``: ``root/.shards/YEAR/`` with links to the year's folder and
    to the rest of the root (the takedown ledger and the like)."""
    src = root / "decisions" / year
    if not src.is_dir():
        raise UsageError(f"{src}: no such year folder (shards are the year folders of decisions/)")
    view = root / ".shards" / year
    shutil.rmtree(view, ignore_errors=True)
    (view / "decisions").mkdir(parents=True)
    (view / "decisions" / year).symlink_to(src.resolve(), target_is_directory=True)
    for entry in root.iterdir():
        if entry.name not in PRIVATE and entry.name != ".imrkb":
            (view / entry.name).symlink_to(entry.resolve(), target_is_directory=entry.is_dir())
    # The shard's own caches (parsed records, similar-decisions table) outlive the view, one per year.
    state = _state(root, year)
    state.mkdir(parents=True, exist_ok=True)
    (view / ".imrkb").symlink_to(state.resolve(), target_is_directory=True)
    return view


# ----------------------------------------------------------------------------- one shard


def summarize(corpus: Corpus, year: str) -> dict[str, Any]:
    """The counts the top-level pages need, from one shard's corpus as its build had it (URLs relative
    to the shard). Counting from the build's rows, not by reading the records again: at 25,000
    decisions a second read of the records cost more than the rebuild of one change."""
    catalog = corpus.catalog
    items = corpus.items
    by_year: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_cat: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in items:
        for table, key in ((by_year, r.date[:4] if r.date else "undated"), (by_cat, r.category)):
            table[key][0] += 1
            table[key][1] += r.outcome == "overturned"
    units = []
    fam: dict[str, dict[tuple[str, int], str]] = defaultdict(dict)
    for key, aggs in corpus.units.items():
        n, over = _unit_counts(corpus, key)
        info = unit_info(key, catalog)
        units.append(
            {
                "family": key.guideline,
                "url": key.url,
                "title": info.title,
                "order": info.order,
                "items": n,
                "overturned": over,
            }
        )
        for agg in aggs.values():
            for r, _ in agg.rows:
                fam[key.guideline][(r.decision_id, r.index)] = r.outcome
    newest = sorted(corpus.decisions, key=newest_first_key)[:NEWEST]
    return {
        "year": year,
        "decisions": len(corpus.decisions),
        "items": len(items),
        "overturned": sum(1 for r in items if r.outcome == "overturned"),
        "synthetic": sum(1 for d in corpus.decisions if d.synthetic),
        "first": min((d.date for d in corpus.decisions if d.date), default=""),
        "last": max((d.date for d in corpus.decisions if d.date), default=""),
        "by_year": dict(by_year),
        "by_category": dict(by_cat),
        "families": {g: [len(s), sum(1 for o in s.values() if o == "overturned")] for g, s in fam.items()},
        "units": units,
        "unresolved": len(corpus.unresolved),
        "newest": [d._asdict() for d in newest],
    }


def _state(root: Path, year: str) -> Path:
    """A shard's own state folder (record cache, similar-decisions table, build states, inputs)."""
    return root / ".imrkb" / "shards" / year


def _shard_site_url(site_url: str | None, year: str) -> str | None:
    return f"{site_url.rstrip('/')}/shards/{year}/" if site_url else None


def _stamps(h: Any, base: Path | str, prefix: str = "") -> None:
    """Feed ``h`` every file under ``base`` (path and stat stamp), in a fixed order."""
    try:
        with os.scandir(base) as it:
            entries = sorted(it, key=lambda e: e.name)
    except FileNotFoundError:
        h.update(b"-\0")
        return
    for e in entries:
        if e.is_dir():
            _stamps(h, e.path, f"{prefix}{e.name}/")
        else:
            h.update(f"{prefix}{e.name}\0{stamp(e.stat())}\0".encode())


def shard_inputs(root: Path, year: str, shards_dir: Path, site_url: str | None) -> str:
    """A digest of everything the build of ``year``'s shard reads: the year's record files (by stat
    stamp: size, times, inode), the takedown ledger, the hand-written pages, the site code, catalog and
    URL (:func:`imrkb.site.buildstate.fingerprint`), the search index's settings (Pagefind version,
    chunk size) and where the shard is published."""
    h = hashlib.blake2b(digest_size=16)
    url = _shard_site_url(site_url, year) or ""
    index = searchindex.settings()
    h.update(f"{buildstate.fingerprint(PROJECT_DIR, url)}\0{index}\0{shards_dir.resolve()}\0".encode())
    for name, base in (("records", root / "decisions" / year), ("ledger", root / LEDGER_DIR)):
        h.update(f"{name}\0".encode())
        _stamps(h, base)
    h.update(b"docs\0")
    _stamps(h, PROJECT_DIR / "docs")
    return h.hexdigest()


def _state_file(root: Path, year: str, shards_dir: Path, what: str) -> Path:
    """A file of the shard of ``year`` published in ``shards_dir``, in the shard's state folder (one
    per shards folder: a build elsewhere does not touch this one's)."""
    name = hashlib.sha256(str(shards_dir.resolve()).encode()).hexdigest()[:16]
    return _state(root, year) / f"{what}-{name}.json"


def _inputs_file(root: Path, year: str, shards_dir: Path) -> Path:
    """Where the inputs of the shard's published build are recorded (see :func:`is_current`)."""
    return _state_file(root, year, shards_dir, "inputs")


def pages_file(root: Path, year: str, shards_dir: Path) -> Path:
    """Where a shard built without its search index leaves its decision pages and those it wrote,
    for the indexing process that follows (``python -m imrkb.site.searchindex --pages``)."""
    return _state_file(root, year, shards_dir, "pages")


def is_current(root: Path, year: str, shards_dir: Path, inputs: str) -> bool:
    """Whether the published shard of ``year`` was built and indexed from exactly ``inputs`` (then a
    rebuild would change nothing and is skipped)."""
    try:
        known = json.loads(_inputs_file(root, year, shards_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    live = published(shards_dir / year)
    return (
        isinstance(known, dict)
        and known.get("inputs") == inputs
        and live is not None
        and known.get("build") == live.name
        and (live / SUMMARY).is_file()
    )


def _forget(root: Path, year: str, shards_dir: Path) -> None:
    _inputs_file(root, year, shards_dir).unlink(missing_ok=True)


def _remember(root: Path, year: str, shards_dir: Path, inputs: str) -> None:
    """Record that the shard published now (built and indexed) was built from ``inputs``."""
    live = published(shards_dir / year)
    if live is not None:
        path = _inputs_file(root, year, shards_dir)
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, json.dumps({"inputs": inputs, "build": live.name}) + "\n")


def build_shard(
    root: Path,
    year: str,
    shards_dir: Path,
    *,
    site_url: str | None = None,
    search_index: bool = True,
    full: bool = False,
    say: Callable[[str], None] = _say,
) -> dict[str, Any]:
    """Build the shard of ``year`` into ``shards_dir/YEAR`` (published atomically) with its summary.

    A shard whose inputs are those of its published build (:func:`shard_inputs`) is not built again
    (unless ``full``): its summary is returned with ``"skipped": True``. A build without its search
    index is never taken as current."""
    from .build import build_site

    root = root.resolve()
    out = shards_dir.resolve() / year
    # Only a build with its index is ever current: one without (a child of build_shards, whose parent
    # has digested the inputs) neither skips nor records them.
    inputs = shard_inputs(root, year, shards_dir, site_url) if search_index else ""
    if search_index and not full and is_current(root, year, shards_dir, inputs):
        summary = json.loads((out / SUMMARY).read_text(encoding="utf-8"))
        say(f"shard {year}: unchanged since its published build, not rebuilt")
        return {**summary, "seconds": 0.0, "skipped": True}
    _forget(root, year, shards_dir)
    view = _view(root, year)
    try:
        t0 = time.monotonic()
        report = build_site(
            view,
            out,
            site_url=_shard_site_url(site_url, year),
            search_index=search_index,
            full=full,
            say=lambda m: say(f"shard {year}: {m}"),
        )
        assert report.corpus is not None
        summary = summarize(report.corpus, year)
        if not search_index:
            atomic_write_text(
                pages_file(root, year, shards_dir),
                json.dumps({"pages": report.decision_pages, "written": report.written}),
            )
        summary["seconds"] = round(time.monotonic() - t0, 1)
        atomic_write_text(out.resolve() / SUMMARY, json.dumps(summary) + "\n")
    finally:
        shutil.rmtree(view, ignore_errors=True)
    if search_index:
        _remember(root, year, shards_dir, inputs)
    return summary


def build_shards(
    root: Path,
    shards_dir: Path,
    *,
    years: Iterable[str] | None = None,
    jobs: int = 2,
    site_url: str | None = None,
    full: bool = False,
    say: Callable[[str], None] = _say,
    then: Callable[[], None] | None = None,
) -> list[dict[str, Any]]:
    """Build every shard, ``jobs`` at a time: each is an ``imrkb build --shard --no-search-index``
    process, then a separate indexing process (``python -m imrkb.site.searchindex``), so a shard's
    Pagefind runs never overlap its MkDocs memory. Wall time and peak memory of each are recorded.
    A shard whose inputs have not changed since its published build is skipped (see
    :func:`build_shard`; ``full`` builds every shard from scratch).

    ``then`` is called in the pool once every shard has started, when the first slot frees: the last
    shards leave a core idle there (``imrkb build --shards`` starts the precedent index then)."""
    root = root.resolve()
    todo = list(years) if years is not None else shard_years(root)
    env = {**os.environ, "IMRKB_PAGEFIND_JOBS": "1"}  # parallelism comes from the shards

    def run(year: str, what: str, cmd: list[str]) -> float:
        """Run one step of a shard; its peak resident memory in MB (with its children's)."""
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
        assert proc.stderr is not None
        err = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            last = err.strip().splitlines()[-1:] or ["(no message)"]
            raise ImrkbError(f"shard {year}: {what} failed (exit {proc.returncode}): {last[0]}")
        return usage.ru_maxrss / 1024

    def one(year: str) -> dict[str, Any]:
        t0 = time.monotonic()
        inputs = shard_inputs(root, year, shards_dir, site_url)
        if not full and is_current(root, year, shards_dir, inputs):
            say(f"shard {year}: unchanged since its published build, not rebuilt")
            return {"year": year, "skipped": True, "seconds": 0.0, "build_s": 0.0, "index_s": 0.0}
        _forget(root, year, shards_dir)
        cmd = [
            sys.executable,
            "-m",
            "imrkb",
            "build",
            "--shard",
            year,
            "--root",
            str(root),
            "--shards-dir",
            str(shards_dir),
            "--no-search-index",
        ]
        cmd += (["--site-url", site_url] if site_url else []) + (["--full"] if full else [])
        build_mb = run(year, "build", cmd)
        t1 = time.monotonic()
        site = shards_dir.resolve() / year
        index = [sys.executable, "-m", "imrkb.site.searchindex", str(site)]
        before = standby(shards_dir / year)  # the build just replaced: its index is complete
        if before is not None:
            index += ["--previous", str(before)]
        listed = pages_file(root, year, shards_dir)
        if listed.is_file():  # the pages the build wrote: the others are not read again
            index += ["--pages", str(listed)]
        index_mb = run(year, "search index", index)
        listed.unlink(missing_ok=True)
        t2 = time.monotonic()
        _remember(root, year, shards_dir, inputs)
        say(
            f"shard {year}: built in {t1 - t0:.1f} s (peak {build_mb:.0f} MB), "
            f"indexed in {t2 - t1:.1f} s (peak {index_mb:.0f} MB)"
        )
        return {
            "year": year,
            "seconds": round(t2 - t0, 1),
            "build_s": round(t1 - t0, 1),
            "index_s": round(t2 - t1, 1),
            "build_peak_mb": round(build_mb),
            "index_peak_mb": round(index_mb),
        }

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        built = [pool.submit(one, year) for year in todo]
        after = pool.submit(then) if then is not None else None
        out = [f.result() for f in built]
        if after is not None:
            after.result()
        return out


# ----------------------------------------------------------------------------- the top-level site


def _table(head: list[str], rows: Iterable[list[str]], attrs: str = "") -> str:
    th = "".join(f'<th scope="col">{h}</th>' for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    table = f"<table{attrs}><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"
    return f'<div class="imrkb-table">{table}</div>'


def _counts(n: int, over: int) -> list[str]:
    return [str(n), str(n - over), str(over), pct(over, n)]


def _shard_url(year: str, url: str = "") -> str:
    return f"shards/{year}/{url}"


def top_pages(summaries: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """The generated pages of the top-level site: guideline, browse and statistics indexes."""
    catalog = load_catalog()
    out = []
    # Guidelines: every unit (chapter, topic) with its counts over all shards and a link into each shard.
    units: dict[str, dict[str, Any]] = {}
    for s in summaries:
        for u in s["units"]:
            t = units.setdefault(u["url"], {**u, "items": 0, "overturned": 0, "in": []})
            t["items"] += u["items"]
            t["overturned"] += u["overturned"]
            t["in"].append((s["year"], u["items"]))
    url = "guidelines/"
    parts = [
        "<h1>Guidelines</h1>",
        "<p>Every guideline chapter and topic cited in the corpus, with items upheld and overturned over all "
        "years. The decisions citing each are listed on the year's pages (one link per year).</p>",
    ]
    for g in catalog:
        rows = sorted(
            (u for u in units.values() if u["family"] == g.id), key=lambda u: (u["order"], u["url"])
        )
        n = sum(s["families"].get(g.id, [0, 0])[0] for s in summaries)
        over = sum(s["families"].get(g.id, [0, 0])[1] for s in summaries)
        if not rows:
            continue
        parts.append(
            f'<h2 id="{attr(g.id)}" data-family="{esc(g.id)}" data-items="{n}" data-overturned="{over}">'
            f"{esc(g.name)}</h2><p>{n} items · {pct(over, n)} overturned</p>"
        )
        parts.append(
            _table(
                ["Chapter or topic", "Items", "Upheld", "Overturned", "Overturn rate", "By year"],
                (
                    [
                        esc(u["title"] or g.name),
                        *_counts(u["items"], u["overturned"]),
                        " · ".join(
                            f'<a href="{attr(rel(url, _shard_url(y, u["url"])))}">{esc(y)}</a> ({k})'
                            for y, k in u["in"]
                        ),
                    ]
                    for u in rows
                ),
                ' data-stats=""',
            )
        )
    unresolved = sum(s["unresolved"] for s in summaries)
    links = " · ".join(
        f'<a href="{attr(rel(url, _shard_url(s["year"], "guidelines/unresolved/")))}">{esc(s["year"])}</a>'
        for s in summaries
        if s["unresolved"]
    )
    parts.append(
        f'<p><span data-unresolved="{unresolved}">{unresolved}</span> citations the catalog cannot '
        f"place{': ' + links if links else ''}.</p>"
    )
    out.append((url, "Guidelines", "".join(parts)))
    url = "guidelines/unresolved/"
    rows = [
        [f'<a href="{attr(rel(url, _shard_url(s["year"], url)))}">{esc(s["year"])}</a>', str(s["unresolved"])]
        for s in summaries
    ]
    intro = (
        "<h1>Unresolved citations</h1><p>Citations the guideline catalog cannot place, listed year by "
        f'year: <span data-unresolved="{unresolved}">{unresolved}</span> in all.</p>'
    )
    out.append((url, "Unresolved citations", intro + _table(["Year", "Citations"], rows)))

    # Browse: one row per shard (year).
    url = "browse/"
    rows = [
        [
            f'<a href="{attr(rel(url, _shard_url(s["year"], "browse/")))}">{esc(s["year"])}</a>',
            str(s["decisions"]),
            *_counts(s["items"], s["overturned"]),
        ]
        for s in sorted(summaries, key=lambda s: s["year"], reverse=True)
    ]
    out.append(
        (
            url,
            "Browse",
            "<h1>Browse</h1><p>Decisions are browsed year by year: each year has its "
            "lists by outcome, reviewer specialty, treatment category and guideline.</p>"
            + _table(["Year", "Decisions", "Items", "Upheld", "Overturned", "Overturn rate"], rows),
        )
    )

    # Statistics over all shards.
    url = "statistics/"
    by_year: Counter[str] = Counter()
    by_year_over: Counter[str] = Counter()
    by_cat: Counter[str] = Counter()
    by_cat_over: Counter[str] = Counter()
    fam: Counter[str] = Counter()
    fam_over: Counter[str] = Counter()
    for s in summaries:
        for k, (n, o) in s["by_year"].items():
            by_year[k] += n
            by_year_over[k] += o
        for k, (n, o) in s["by_category"].items():
            by_cat[k] += n
            by_cat_over[k] += o
        for k, (n, o) in s["families"].items():
            fam[k] += n
            fam_over[k] += o
    names = {g.id: g.name for g in catalog}

    def bars(c: Counter[str], o: Counter[str], label: Callable[[str], str] = str) -> list[Bar]:
        return [Bar(label(k), c[k] - o[k], o[k]) for k in c]

    top = sorted(units.values(), key=lambda u: (-u["items"], u["url"]))[:20]
    parts = [
        "<h1>Statistics</h1>",
        "<p>Disputed items and how often the denial was overturned, over every year of the corpus.</p>",
        "<h2>By year</h2>",
        bar_chart("Items by year", sorted(bars(by_year, by_year_over), key=lambda b: b.label)),
        "<h2>By treatment category (inferred)</h2>",
        bar_chart("Items by treatment category", sorted(bars(by_cat, by_cat_over), key=lambda b: -b.total)),
        "<h2>By guideline</h2>",
        bar_chart(
            "Items by guideline",
            sorted(bars(fam, fam_over, lambda k: names.get(k, k)), key=lambda b: -b.total),
        ),
        "<h2>Most-cited guideline chapters and topics</h2>",
        _table(
            ["Chapter or topic", "Items", "Upheld", "Overturned", "Overturn rate"],
            (
                [
                    esc(
                        f"{names.get(u['family'], u['family'])} › {u['title']}"
                        if u["title"]
                        else names.get(u["family"], "")
                    ),
                    *_counts(u["items"], u["overturned"]),
                ]
                for u in top
            ),
        ),
    ]
    out.append((url, "Statistics", "".join(parts)))
    return out


def _newest(summaries: list[dict[str, Any]], n: int) -> list[DecisionRow]:
    rows = []
    for s in summaries:
        for d in s["newest"]:
            d = {**d, "url": _shard_url(s["year"], d["url"]), "specialties": tuple(d["specialties"])}
            rows.append(DecisionRow(**d))
    return sorted(rows, key=newest_first_key)[:n]


def home_fragments(summaries: list[dict[str, Any]]) -> dict[str, str]:
    n_dec = sum(s["decisions"] for s in summaries)
    n = sum(s["items"] for s in summaries)
    over = sum(s["overturned"] for s in summaries)
    syn = sum(s["synthetic"] for s in summaries)
    firsts = [s["first"] for s in summaries if s["first"]]
    lasts = [s["last"] for s in summaries if s["last"]]
    span = f"{min(firsts)} to {max(lasts)}" if firsts else "no dated decisions"
    stats = home_counts(n_dec, n, over, syn, span)
    return {"home-stats": stats, "home-newest": decision_table(_newest(summaries, 10), "")}


def _concat(parts: list[Path], dest: Path, *, header: bool) -> None:
    with dest.open("wb") as out:
        for k, p in enumerate(parts):
            if not p.is_file():
                continue
            with p.open("rb") as f:
                if header and k:
                    f.readline()
                shutil.copyfileobj(f, out)


def _found_shards(shards_dir: Path, years: Iterable[str] | None) -> list[Path]:
    """The shard folders to join: ``years``' (all must exist), or every shard found in ``shards_dir``
    (not a shard: a shard's builds folder, its trash (.YEAR.trash) or other dot-folders)."""
    if years is not None:
        return [shards_dir / y for y in sorted(years)]
    if not shards_dir.is_dir():
        return []
    return sorted(
        p
        for p in shards_dir.iterdir()
        if p.is_dir() and not p.name.endswith(".builds") and not p.name.startswith(".")
    )


def _seal(tree: Path) -> tuple[int, ...] | None:
    """The inodes of the files every build or index of a shard writes anew (its build marker, its
    summary, its search manifest): a folder holding links to these same files holds that very build
    (a shard's files are only ever replaced, never written in place, and a held inode is not reused)."""
    try:
        return tuple(os.stat(tree / rel).st_ino for rel in (MARKER, SUMMARY, f"pagefind/{MANIFEST}"))
    except OSError:
        return None


def _file_stamp(path: Path) -> str:
    """Size, mtime and inode of a shard's download: not its ctime, which every hard link made to it (the
    assembled site's own) changes."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return ""
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ino}"


def _digest(values: Iterable[object]) -> str:
    return hashlib.blake2b(json.dumps(list(values)).encode(), digest_size=16).hexdigest()


def assemble(
    root: Path,
    shards_dir: Path,
    out: Path | None = None,
    *,
    site_url: str | None = None,
    report: list[dict[str, Any]] | None = None,
    years: Iterable[str] | None = None,
    full: bool = False,
    say: Callable[[str], None] = _say,
) -> Path:
    """Join the built shards under ``shards_dir`` (those of ``years``, default all) into the published
    site ``out`` (default ROOT/site).

    The site is built into its standby when there is one (unless ``full``): every shard's files and the
    top-level files are hard-linked into it, only where the link there is not already to the same file
    (:func:`imrkb.site.sitefiles.sync_links`), and whatever is no longer in a shard is removed. So a
    rebuild after one changed shard touches that shard's changed files, not the whole site. The joined
    downloads are linked from the live site when no shard's downloads changed."""
    root = root.resolve()
    out = out or root / "site"
    out = out.parent.resolve() / out.name
    shards = _found_shards(shards_dir, years)
    summaries = []
    for p in shards:
        f = p / SUMMARY
        if not f.is_file():
            raise ImrkbError(
                f"{p}: shard not complete (no {SUMMARY}); build it with imrkb build --shard {p.name}"
            )
        summaries.append(json.loads(f.read_text(encoding="utf-8")))
    if not summaries:
        raise ImrkbError(f"{shards_dir}: no shards to assemble (imrkb build --shard YEAR makes them)")
    work = root / "build" / "top"
    staging, top = work / "docs", work / "site"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(PROJECT_DIR / "docs", staging)
    for url, title, html in top_pages(summaries):
        write_page(staging, url, title, html)
    (staging / ".fragments").mkdir()
    for name, html in home_fragments(summaries).items():
        (staging / ".fragments" / f"{name}.html").write_text(html, encoding="utf-8")
    downloads = ("decisions.jsonl", "decisions.csv")
    parts = [(p.name, name, _file_stamp(p.resolve() / "data" / name)) for p in shards for name in downloads]
    info: dict[str, object] = {
        "shards": [s["year"] for s in summaries],
        "decisions": sum(s["decisions"] for s in summaries),
        "removed": _digest(sorted(load_ledger(root))),
        "downloads": _digest(parts),
    }
    with publishing(out, info, recycle=not full) as slot:
        folder = slot.folder
        before = marker(slot.live)
        if slot.live is not None and before.get("removed") != info["removed"]:
            slot.keep_live = False  # a decision was taken down (or may have been): no copy survives
        say(f"assembling {len(summaries)} shards: top-level mkdocs build")
        feed_url = run_mkdocs(staging, top, site_url)
        chunks = []
        for p in shards:
            manifest = p / "pagefind" / MANIFEST
            if manifest.is_file():
                for c in json.loads(manifest.read_text(encoding="utf-8"))["chunks"]:
                    chunks.append(
                        {**c, "path": f"../shards/{p.name}/pagefind/{c['path']}", "site": f"shards/{p.name}/"}
                    )
        chunks.sort(key=lambda c: c["newest"], reverse=True)
        (top / "pagefind").mkdir(exist_ok=True)
        (top / "pagefind" / MANIFEST).write_text(
            json.dumps({"version": 1, "chunks": chunks}), encoding="utf-8"
        )
        (top / "data").mkdir(exist_ok=True)
        same = slot.live is not None and before.get("downloads") == info["downloads"]
        for name in downloads:
            dest, old = top / "data" / name, (slot.live / "data" / name if slot.live else None)
            if same and old is not None and old.is_file():
                link_new(old, dest)
            else:
                _concat([p.resolve() / "data" / name for p in shards], dest, header=name.endswith(".csv"))
        (top / "feed.xml").write_text(
            atom_feed(_newest(summaries, NEWEST), feed_url, title="imrkb: newest IMR decisions"),
            encoding="utf-8",
        )
        (top / "shards.json").write_text(
            json.dumps({"shards": report or [{"year": s["year"]} for s in summaries]}, indent=1),
            encoding="utf-8",
        )
        linked = removed = same = 0
        for p in shards:
            src, dest = p.resolve(), folder / "shards" / p.name
            seal = _seal(src)
            if seal is not None and seal == _seal(dest):
                same += 1  # this folder already holds this very build of the shard
                continue
            n, m = sync_links(src, dest)
            linked, removed = linked + n, removed + m
        names = {p.name for p in shards}
        for gone in [q for q in (folder / "shards").iterdir() if q.name not in names]:
            shutil.rmtree(gone) if gone.is_dir() and not gone.is_symlink() else gone.unlink()
            removed += 1
        n, m = sync_links(top, folder, keep={"shards"}, same_bytes=True)  # a few small files
        linked, removed = linked + n, removed + m
        say(
            f"assembled into {'the standby' if slot.recycled else 'a new folder'}: "
            f"{linked} files linked, {removed} removed ({same} of {len(shards)} shards already there)"
        )
    return out


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
