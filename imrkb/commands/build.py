"""``imrkb build [--root DIR] [--out DIR]``: render the corpus and build the static site."""

from __future__ import annotations

import argparse
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
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..site.build import build_site

    report = build_site(args.root, args.out, site_url=args.site_url, search_index=not args.no_search_index)
    print(
        f"imrkb build: {report.decisions} decisions, {report.items} items, {report.pages} generated pages "
        f"-> {report.out} in {report.seconds:.1f} s",
        file=sys.stderr,
    )
    return 0
