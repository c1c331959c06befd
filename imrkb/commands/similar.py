"""``imrkb similar ID [--limit N] [--json]``: the decisions most like decision ID."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser(
        "similar",
        help="the decisions most like one decision (its items and rationales)",
        description=(
            "List the decisions most like decision ID, by the most distinctive terms of its items, "
            "rationales and citations, best first (score 0 to 1), with the items that matched: the "
            "site's 'similar decisions'. Brings the neighbour table (ROOT/.imrkb/neighbours) up to date "
            "first; the first run builds it. Exit status: 0 done, 2 unknown decision or no decisions "
            "folder, 75 the table is being updated by another process."
        ),
    )
    p.add_argument("id", metavar="ID", help="a decision id, e.g. CM16-0213037")
    p.add_argument("--limit", "-n", type=int, default=5, help="how many decisions (default: 5)")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.add_argument("--root", type=Path, default=Path("."), help="project folder (default: .)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..search.similar import similar

    found = similar(args.root, args.id, limit=args.limit, say=lambda line: print(line, file=sys.stderr))
    if args.json:
        print(
            json.dumps(
                {"decision": args.id, "similar": [s.to_json() for s in found]}, ensure_ascii=False, indent=2
            )
        )
        return 0
    if not found:
        print(f"no decisions like {args.id}")
    for rank, s in enumerate(found, 1):
        print(f"{rank}. {s.decision}  {s.date or 'undated'}  (score {s.score:.3f})")
        for i in s.items[:4]:
            print(f"   #{i['item_number']} {i['outcome']}: {i['item']}")
        if len(s.items) > 4:
            print(f"   ... and {len(s.items) - 4} more matching items")
    return 0
