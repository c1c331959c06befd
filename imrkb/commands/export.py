"""``imrkb export --format jsonl|csv [--root DIR] [--out FILE]``: the whole corpus in one file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from ..site.exports import FORMATS

    p = sub.add_parser("export", help="export every decision as JSON Lines or CSV", description=__doc__)
    p.add_argument(
        "--format",
        choices=FORMATS,
        required=True,
        help="jsonl: one full record per line; csv: one row per item",
    )
    p.add_argument("--root", type=Path, default=Path("."), help="corpus root holding decisions/ (default: .)")
    p.add_argument("--out", type=Path, default=None, help="file to write (default: standard output)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import os
    import tempfile

    from ..site.corpus import iter_records
    from ..site.exports import Exporter

    if args.out is None:
        exp = Exporter(args.format, sys.stdout)
        for _, d in iter_records(args.root):
            exp.add(d)
    else:  # stream into a temp file beside the target, then rename: never a truncated export
        args.out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{args.out.name}.", dir=args.out.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                exp = Exporter(args.format, fh)
                for _, d in iter_records(args.root):
                    exp.add(d)
            os.replace(tmp, args.out)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
    print(f"imrkb export: {exp.count} decisions as {args.format}", file=sys.stderr)
    return 0
