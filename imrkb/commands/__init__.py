"""One module per ``imrkb`` subcommand (see :mod:`imrkb.cli`), and the options they share."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from ..errors import UsageError


def add_root(p: argparse.ArgumentParser) -> None:
    """``--root DIR``: the project folder holding ``decisions/``."""
    p.add_argument(
        "--root", type=Path, default=Path("."), help="project folder holding decisions/ (default: .)"
    )


def add_jobs(p: argparse.ArgumentParser, what: str) -> None:
    """``--jobs N`` (default: the number of CPUs); ``what`` says what is done N at a time."""
    p.add_argument(
        "--jobs",
        "-j",
        type=int,
        default=os.cpu_count() or 1,
        metavar="N",
        help=f"{what}: N at a time in worker processes (default: number of CPUs)",
    )


def check_jobs(args: argparse.Namespace) -> None:
    """Refuse ``--jobs`` below 1 with a clear message."""
    if args.jobs < 1:
        raise UsageError(f"--jobs must be at least 1, got {args.jobs}")
