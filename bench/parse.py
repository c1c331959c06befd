#!/usr/bin/env python3
"""Parser throughput: letters per second from text and from PDF, one process and a pool of all CPUs.

usage: bench/parse.py [--count N] [--seed S] [--letters DIR]
Makes N synthetic letters (text and PDF) with `imrkb synth`, then times parsing each format. With
--letters DIR it also times the real letters in DIR (e.g. ../shared/letters/pdf).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from imrkb.parse import parse_file  # noqa: E402


def _parse_all(paths: list[Path]) -> int:
    for p in paths:
        parse_file(p)
    return len(paths)


def timed(paths: list[Path], jobs: int) -> float:
    """Letters per second parsing ``paths`` with ``jobs`` processes."""
    start = time.perf_counter()
    if jobs == 1:
        _parse_all(paths)
    else:
        chunks = [paths[i::jobs] for i in range(jobs)]
        with ProcessPoolExecutor(jobs) as pool:
            sum(pool.map(_parse_all, chunks))
    return len(paths) / (time.perf_counter() - start)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--letters", type=Path, default=None)
    a = ap.parse_args()
    jobs = os.cpu_count() or 1
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in ("txt", "pdf"):
            out = Path(tmp) / fmt
            subprocess.run([sys.executable, "-m", "imrkb", "synth", "--count", str(a.count), "--seed",
                            str(a.seed), "--format", fmt, "--out", str(out)], check=True, capture_output=True)
            paths = sorted(out.rglob(f"*.{fmt}"))
            rows.append((f"synthetic {fmt}", len(paths), timed(paths, 1), timed(paths, jobs)))
    if a.letters:
        paths = sorted(a.letters.rglob("*.pdf"))
        rows.append(("real pdf", len(paths), timed(paths, 1), timed(paths, jobs)))
    print(f"| input | letters | letters/s (1 process) | letters/s ({jobs} processes) |")
    print("|---|---:|---:|---:|")
    for name, n, one, many in rows:
        print(f"| {name} | {n} | {one:.0f} | {many:.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
