"""``imrkb validate [--root DIR]``: check every record under ``decisions/``; one problem per line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import UsageError
from ..progress import Progress
from . import add_jobs, add_root, check_jobs


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser(
        "validate",
        help="check every decision record against the schema and the guideline catalog",
        description=(
            "Check every YAML under ROOT/decisions/ against schema/decision.schema.json and the guideline "
            "catalog: required fields, vocabularies, real dates in order, unique ids, file name and folder, "
            "known guideline chapters. Prints one problem per line as path:line: field: message and a "
            "summary on stderr. Exit status: 0 all valid, 1 problems found, 2 could not run."
        ),
    )
    add_root(p)
    add_jobs(p, "check files")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..validate import iter_problems, known_chapters  # imported only to run

    root: Path = args.root
    check_jobs(args)
    if not (root / "decisions").is_dir():
        raise UsageError(f"{root / 'decisions'}: no such folder (is --root the project folder?)")
    chapters = known_chapters()
    progress = Progress("validate")
    problems = 0
    try:
        for problem in iter_problems(root, chapters, on_file=lambda _: progress.advance(), jobs=args.jobs):
            problems += 1
            progress.note(str(problem), sys.stdout)
    finally:
        progress.close()
    print(
        f"checked {_count(progress.count, 'record')}: {_count(problems, 'problem')}",
        file=sys.stderr,
    )
    return 1 if problems else 0


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"
