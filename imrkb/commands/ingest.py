"""``imrkb ingest PATH... [--root DIR] [--jobs N]``: letters -> ``decisions/<year>/<id>.yaml``."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from ..errors import UsageError
from ..progress import Progress
from . import add_jobs, add_root, check_jobs


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser(
        "ingest",
        help="parse letters (PDF or text) into decisions/<year>/<id>.yaml",
        description=(
            "Parse letters and write one record per letter to ROOT/decisions/<year>/<id>.yaml (year of the "
            "decision date, or undated). Folders are searched recursively for *.pdf and *.txt. Idempotent: "
            "a record whose bytes do not change is not rewritten. Writes are atomic. A letter that cannot be "
            "parsed is reported as 'file: problem' and skipped. A letter ingested before by the same code "
            "takes its record from ROOT/.imrkb/ingest-cache (never published). Exit status: 0 all "
            "ingested, 1 some letters failed, 2 could not run."
        ),
    )
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="letter files or folders of letters")
    add_root(p)
    add_jobs(p, "parse letters")
    p.add_argument(
        "--no-cache",
        dest="cache",
        action="store_false",
        help="parse every letter, even one whose record ROOT/.imrkb/ingest-cache holds from an earlier run "
        "of the same code",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..ingest import STATUSES, find_letters, iter_ingest  # the parser: imported only to run
    from ..validate import known_chapters

    check_jobs(args)
    if not args.root.is_dir():
        raise UsageError(f"--root {args.root}: no such folder")
    chapters = known_chapters()
    letters, missing = find_letters(args.paths)
    counts: Counter[str] = Counter()
    progress = Progress("ingest", len(letters))
    for outcome in missing:
        counts[outcome.status] += 1
        progress.note(outcome.message, sys.stdout)
    if not letters and not missing:
        progress.note(f"no letters (*.pdf, *.txt) in {', '.join(map(str, args.paths))}")
    try:
        for outcome in iter_ingest(letters, args.root, jobs=args.jobs, chapters=chapters, cache=args.cache):
            counts[outcome.status] += 1
            if outcome.status in ("failed", "withheld"):
                progress.note(outcome.message, sys.stdout)
            progress.advance()
    finally:
        progress.close()
    shown = [s for s in STATUSES if s != "withheld" or counts[s]]  # withheld: only after a takedown
    print(", ".join(f"{s} {counts[s]:,}" for s in shown), file=sys.stderr)
    return 1 if counts["failed"] else 0
