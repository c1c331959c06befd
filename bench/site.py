#!/usr/bin/env python3
"""Site build benchmark: wall time and peak memory of `imrkb build` (MkDocs + Pagefind included).

Corpora: the bundled decisions/ of this checkout, and N synthetic decisions made by
`imrkb synth --format yaml` (default 10,000). Each build runs in a fresh child process; its peak
resident memory is read with resource.getrusage(RUSAGE_CHILDREN) by a wrapper process per build, so
one build's peak never hides another's (it includes Pagefind, a grandchild that is waited for).

    .venv/bin/python bench/site.py [--count 10000] [--keep]

Work files go to bench/work/ (ignored by git).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "bench" / "work" / "site"


def _measure(cmd: list[str]) -> dict[str, float]:
    """Run ``cmd`` (in this process's child) and report its wall time and peak RSS."""
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"failed: {' '.join(cmd)}")
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"seconds": wall, "peak_mb": peak_kb / 1024}


def measure(cmd: list[str]) -> dict[str, float]:
    """Measure ``cmd`` from a fresh wrapper process, so the peak is this command's alone."""
    out = subprocess.run(
        [sys.executable, __file__, "--measure", json.dumps(cmd)], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def size_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def build(name: str, root: Path) -> dict[str, object]:
    out = WORK / f"site-{name}"
    if out.is_symlink():  # the published link (imrkb.site.publish); the build cleans OUT.builds/
        out.unlink()
    elif out.exists():
        shutil.rmtree(out)
    m = measure([sys.executable, "-m", "imrkb", "build", "--root", str(root), "--out", str(out)])
    n = sum(1 for _ in (root / "decisions").glob("*/*.yaml"))
    pages = sum(1 for _ in out.rglob("index.html"))
    return {
        "corpus": name,
        "decisions": n,
        "html pages": pages,
        "build s": m["seconds"],
        "peak MB": m["peak_mb"],
        "site MB": size_mb(out),
        "pagefind MB": size_mb(out / "pagefind"),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=10_000, help="synthetic decisions (default 10000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--measure", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        print(json.dumps(_measure(json.loads(args.measure))))
        return 0

    WORK.mkdir(parents=True, exist_ok=True)
    rows = [build("bundled", ROOT)]
    synth_root = WORK / f"synth-{args.count}"
    if not (synth_root / "decisions").is_dir():
        print(f"generating {args.count} synthetic decisions ...", file=sys.stderr)
        m = measure(
            [
                sys.executable,
                "-m",
                "imrkb",
                "synth",
                "--count",
                str(args.count),
                "--seed",
                str(args.seed),
                "--format",
                "yaml",
                "--out",
                str(synth_root / "decisions"),
            ]
        )
        print(f"  synth: {m['seconds']:.1f} s", file=sys.stderr)
    rows.append(build(f"synthetic-{args.count}", synth_root))

    cols = list(rows[0])
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for r in rows:
        cells = [f"{v:.1f}" if isinstance(v, float) else str(v) for v in r.values()]
        print("| " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
