"""``imrkb similar ID [--limit N] [--json]``: the decisions most like decision ID."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser(
        "similar",
        help="the decisions most like one decision (its items and rationales)",
        description=(
            "List the decisions most like decision ID, by the distinctive words of its items and "
            "rationales, best first, with the items that matched. Needs `imrkb index`. Exit status: 0 done, "
            "2 unknown decision or no index."
        ),
    )
    p.add_argument("id", metavar="ID", help="a decision id, e.g. CM16-0213037")
    p.add_argument("--limit", "-n", type=int, default=5, help="how many decisions (default: 5)")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.add_argument("--root", type=Path, default=Path("."), help="project folder (default: .)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..search.searching import PrecedentIndex
    from ..search.similar import similar

    with PrecedentIndex(args.root) as index:
        found = similar(index, args.id, limit=args.limit)
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
        print(f"{rank}. {s.decision}  {s.date or 'undated'}  (score {s.score:.1f})")
        for i in s.items[:4]:
            print(f"   #{i['item_number']} {i['outcome']}: {i['item']}")
        if len(s.items) > 4:
            print(f"   ... and {len(s.items) - 4} more matching items")
    return 0
