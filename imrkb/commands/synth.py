"""``imrkb synth``: write a synthetic corpus (records, or letters with their expected records)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import UsageError
from ..progress import Progress
from ..synth import FORMATS, STEPS, write_corpus
from ..synth.corpus import parse_damage
from . import add_jobs, check_jobs


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser(
        "synth",
        help="generate synthetic letters or decision records (clearly marked, never real)",
        description=(
            "Generate COUNT synthetic determinations from SEED, deterministically. --format yaml writes the "
            "records as a decisions tree OUT/<year>/<id>.yaml; txt and pdf write letters (text as PDF "
            "extraction leaves it, or encrypted 2-4 page PDFs) with the expected record <id>.expected.yaml "
            "beside each. Every record has synthetic: true and a SYN case number. Exit status: 0 done, "
            "2 bad arguments."
        ),
    )
    p.add_argument("--count", "-n", type=int, required=True, help="how many letters")
    p.add_argument("--seed", "-s", type=int, default=0, help="random seed (default: 0)")
    p.add_argument("--out", "-o", type=Path, required=True, help="output folder")
    p.add_argument("--format", "-f", choices=FORMATS, default="yaml", help="what to write (default: yaml)")
    p.add_argument(
        "--damage",
        default="random",
        metavar="STEPS",
        help=(
            "PDF-extraction damage: random (each step at its usual rate, the default), none, all, or a comma "
            f"list of: {', '.join(STEPS)}"
        ),
    )
    add_jobs(p, "write letters (the output does not depend on it)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    check_jobs(args)
    if args.count < 0:
        raise UsageError(f"--count must be 0 or more, got {args.count}")
    try:
        parse_damage(args.damage)
    except ValueError as e:
        raise UsageError(f"--damage: {e}") from e
    if args.out.exists() and not args.out.is_dir():
        raise UsageError(f"{args.out}: exists and is not a folder")
    progress = Progress("synth", args.count)
    try:
        write_corpus(
            args.out,
            args.count,
            args.seed,
            args.format,
            damage_spec=args.damage,
            jobs=args.jobs,
            on_progress=progress.advance,
        )
    finally:
        progress.close()
    noun = "record" if args.format == "yaml" else "letter"
    print(
        f"wrote {args.count:,} synthetic {noun}{'' if args.count == 1 else 's'} to {args.out}",
        file=sys.stderr,
    )
    return 0
