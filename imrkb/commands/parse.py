"""``imrkb parse FILE``: print one letter's record as YAML (or JSON); writes nothing."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..records import to_json, to_yaml


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("parse", help="print one letter's determination record (PDF or text) as YAML")
    p.add_argument("file", type=Path, help="the letter: .pdf or .txt")
    p.add_argument("--json", action="store_true", help="print JSON instead of YAML")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..parse import parse_file  # imported only to run

    record = parse_file(args.file)
    sys.stdout.write(to_json(record) + "\n" if args.json else to_yaml(record))
    return 0
