"""``imrkb index [--root DIR] [--full]``: build or update the precedent search index."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import UsageError


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser(
        "index",
        help="build or update the precedent search index (ROOT/.imrkb/index)",
        description=(
            "Index every disputed item of ROOT/decisions/**/*.yaml for `imrkb search`, `similar` and "
            "`stats`. Incremental: only records whose content changed are re-read, deleted ones are "
            "removed; records unchanged since `imrkb build` read them are taken from its record cache "
            "(ROOT/.imrkb), not parsed again. The new index is built beside the live one and swapped in "
            "atomically. Records that "
            "cannot be read are listed (path:line: problem) and left out. Exit status: 0 done, 1 some "
            "records could not be read, 2 could not run, 75 another process is updating the index."
        ),
    )
    p.add_argument(
        "--root", type=Path, default=Path("."), help="project folder holding decisions/ (default: .)"
    )
    p.add_argument("--full", action="store_true", help="rebuild from scratch instead of updating")
    p.add_argument(
        "--jobs",
        "-j",
        type=int,
        default=None,
        metavar="N",
        help="writer processes for a rebuild (default: CPUs)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..search.indexer import update_index
    from ..site.recordcache import CachedRecords, build_caches

    if args.jobs is not None and args.jobs < 1:
        raise UsageError(f"--jobs must be at least 1, got {args.jobs}")
    if not (args.root / "decisions").is_dir():
        raise UsageError(f"{args.root / 'decisions'}: no such folder (is --root the project folder?)")
    lookup = CachedRecords(build_caches(args.root))
    report = update_index(args.root, full=args.full, procs=args.jobs, lookup=lookup)
    for line in report.failed:
        print(line, file=sys.stderr)
    print(report.summary(), file=sys.stderr)
    return 1 if report.failed else 0
