#!/usr/bin/env python3
"""Synthetic corpus throughput: records (or letters) per second, per stage and end to end.

usage: bench/synth.py [--count N] [--seed S] [--jobs J]
Times, in one process, drawing the records, laying out and damaging the letter text, and serialising the
records with ``imrkb.records.to_yaml``; then ``write_corpus`` end to end for yaml (1 and J processes), txt
and pdf. CPU seconds are reported beside wall seconds: on a shared machine the wall clock says little.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from imrkb.records import to_yaml  # noqa: E402
from imrkb.synth import render_letter, write_corpus  # noqa: E402
from imrkb.synth.generate import Generator  # noqa: E402


def clock() -> tuple[float, float]:
    t = os.times()
    return time.perf_counter(), t.user + t.system + t.children_user + t.children_system


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    a = ap.parse_args()
    n = a.count
    gen = Generator(a.seed)
    rows = []

    w0, c0 = clock()
    letters = [gen.letter(i) for i in range(n)]
    w1, c1 = clock()
    rendered = [render_letter(x, "yaml") for x in letters]
    w2, c2 = clock()
    for r in rendered:
        to_yaml(r.decision)
    w3, c3 = clock()
    rows += [
        ("draw records", w1 - w0, c1 - c0),
        ("lay out + damage", w2 - w1, c2 - c1),
        ("records.to_yaml", w3 - w2, c3 - c2),
    ]
    del letters, rendered

    with tempfile.TemporaryDirectory() as tmp:
        runs = [("yaml", 1, n), ("yaml", a.jobs, n), ("txt", a.jobs, n), ("pdf", a.jobs, max(1, n // 10))]
        for fmt, jobs, count in runs:
            w0, c0 = clock()
            write_corpus(Path(tmp) / f"{fmt}-{jobs}", count, a.seed, fmt, jobs=jobs)
            w1, c1 = clock()
            rows.append(
                (f"write {count:,} {fmt}, {jobs} process{'es' if jobs > 1 else ''}", w1 - w0, c1 - c0, count)
            )
    print(f"{'stage':40} {'wall s':>8} {'CPU s':>8} {'per s (wall)':>13}")
    for row in rows:
        label, wall, cpu = row[0], row[1], row[2]
        count = row[3] if len(row) > 3 else n
        print(f"{label:40} {wall:8.2f} {cpu:8.2f} {count / wall:13,.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
