"""``imrkb build [--root DIR] [--out DIR]``: render the corpus and build the static site."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "build", help="render the decisions into the static site (MkDocs + Pagefind)", description=__doc__
    )
    p.add_argument("--root", type=Path, default=Path("."), help="corpus root holding decisions/ (default: .)")
    p.add_argument("--out", type=Path, default=None, help="site folder to write (default: ROOT/site)")
    p.add_argument(
        "--site-url",
        default=None,
        help="public URL of the site, for the feed and sitemap (default: mkdocs.yml's site_url)",
    )
    p.add_argument("--no-search-index", action="store_true", help="skip the Pagefind index")
    p.add_argument(
        "--full",
        action="store_true",
        help="render every page into an empty folder (a rebuild otherwise renders only what changed)",
    )
    p.add_argument(
        "--no-precedent-index", action="store_true", help="skip updating the Whoosh index (imrkb index)"
    )
    shard = p.add_mutually_exclusive_group()
    shard.add_argument("--shard", metavar="YEAR", help="build one year as its own site into SHARDS_DIR/YEAR")
    shard.add_argument("--assemble", action="store_true", help="join the built shards into the site at --out")
    shard.add_argument(
        "--shards", action="store_true", help="build every year as a shard (in parallel), then assemble"
    )
    p.add_argument(
        "--shards-dir", type=Path, default=None, help="where shards are built (default: ROOT/shards)"
    )
    p.add_argument(
        "--jobs", type=int, default=2, help="shards built at the same time with --shards (default: 2)"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..site.build import build_site

    if args.shard or args.assemble or args.shards:
        return run_sharded(args)
    report = build_site(
        args.root, args.out, site_url=args.site_url, search_index=not args.no_search_index, full=args.full
    )
    print(
        f"imrkb build: {report.decisions} decisions, {report.items} items, {report.pages} generated pages "
        f"-> {report.out} in {report.seconds:.1f} s",
        file=sys.stderr,
    )
    return precedent_index(args)


def precedent_index(args: argparse.Namespace) -> int:
    """The Whoosh index behind ``imrkb search`` follows every full build (incremental: only what changed;
    records come parsed from the build's record caches)."""
    if args.no_precedent_index:
        return 0
    from ..search.indexer import update_index
    from ..site.recordcache import CachedRecords, build_caches

    report = update_index(args.root, lookup=CachedRecords(build_caches(args.root)))
    for line in report.failed:
        print(line, file=sys.stderr)
    print(f"imrkb build: precedent index: {report.summary()}", file=sys.stderr)
    return 1 if report.failed else 0


def run_sharded(args: argparse.Namespace) -> int:
    """``--shard YEAR``, ``--assemble`` and ``--shards`` (see :mod:`imrkb.site.shards`)."""
    from ..site import shards

    shards_dir = args.shards_dir or shards.default_shards_dir(args.root)
    if args.shard:
        s = shards.build_shard(
            args.root,
            args.shard,
            shards_dir,
            site_url=args.site_url,
            search_index=not args.no_search_index,
            full=args.full,
        )
        how = "unchanged, not rebuilt" if s.get("skipped") else f"in {s['seconds']} s"
        print(f"imrkb build: shard {args.shard}: {s['decisions']} decisions {how}", file=sys.stderr)
        return 0
    report = years = None
    early: list[subprocess.Popen[bytes]] = []
    if args.shards:
        then = None if args.no_precedent_index else lambda: early.append(start_index(args.root))
        report = shards.build_shards(
            args.root, shards_dir, jobs=args.jobs, site_url=args.site_url, full=args.full, then=then
        )
        years = [r["year"] for r in report]  # a year whose records are all gone is no longer published
        built = [r for r in report if not r.get("skipped")]
        print(
            f"imrkb build: {len(built)} of {len(report)} shards built"
            + (f" ({len(report) - len(built)} unchanged)" if len(built) < len(report) else ""),
            file=sys.stderr,
        )
    try:
        out = shards.assemble(
            args.root,
            shards_dir,
            args.out,
            site_url=args.site_url,
            report=report,
            years=years,
            full=args.full,
        )
    finally:
        for proc in early:
            proc.wait()
    print(f"imrkb build: assembled {out}", file=sys.stderr)
    if early and all(proc.returncode == 0 for proc in early):
        last = _index_log(args.root).read_text(encoding="utf-8", errors="replace").strip().splitlines()
        print(
            f"imrkb build: precedent index, beside the shards: {last[-1] if last else 'done'}",
            file=sys.stderr,
        )
        return 0
    return precedent_index(args)


def _index_log(root: Path) -> Path:
    return root / "build" / "precedent-index.log"


def start_index(root: Path) -> subprocess.Popen[bytes]:
    """Start ``imrkb index`` in the background (its messages to ROOT/build/precedent-index.log): it runs
    beside the last shards and the assemble step, reading the records from the caches of the shards
    built. When it succeeds, its summary is the build's; otherwise :func:`precedent_index` finishes what
    it could not do."""
    log = _index_log(root)
    log.parent.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "imrkb", "index", "--root", str(root)]
    with log.open("wb") as f:
        return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=f)
