"""``imrkb stats [--by outcome|year|guideline|category|specialty] [--json]``: counts and overturn rates."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

#: The groupings (as in :data:`imrkb.search.stats.BY`, kept here so `imrkb --help` does not load Whoosh).
BY = ("outcome", "year", "guideline", "category", "specialty")


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser(
        "stats",
        help="item counts and overturn rates by outcome, year, guideline, category or specialty",
        description=(
            "Count the indexed items (upheld, overturned, overturn rate) grouped by outcome, decision "
            "year, guideline family cited (either side), inferred treatment category or reviewer "
            "specialty: the numbers the site's statistics show. Needs `imrkb index`. Exit status: 0 done, "
            "2 no index or bad arguments."
        ),
    )
    p.add_argument("--by", choices=BY, default="outcome", help="grouping (default: outcome)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--root", type=Path, default=Path("."), help="project folder (default: .)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..search.searching import PrecedentIndex
    from ..search.stats import from_index

    with PrecedentIndex(args.root) as index:
        st = from_index(index, args.by)
    if args.json:
        print(json.dumps(st.to_json(), ensure_ascii=False, indent=2))
        return 0
    rows = [(g.label, g.count, g.upheld, g.overturned, g.overturn_rate) for g in (*st.groups, st.total)]
    width = max(len(args.by), *(len(r[0]) for r in rows))
    print(f"{args.by:<{width}}  {'items':>8}  {'upheld':>8}  {'overturned':>10}  {'rate':>6}")
    for i, (label, n, up, over, rate) in enumerate(rows):
        if i == len(rows) - 1:
            print("-" * (width + 40))
        shown = f"{rate:.1%}" if rate is not None else "-"
        print(f"{label:<{width}}  {n:>8,}  {up:>8,}  {over:>10,}  {shown:>6}")
    return 0
