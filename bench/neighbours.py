#!/usr/bin/env python3
"""Neighbour table benchmark ("similar decisions" for every decision): full build and one update.

For synthetic corpora of 10,000 and 100,000 decisions (``imrkb synth --format yaml --jobs 2``, made once
and kept under bench/work/neighbours/), each step in a fresh process so its peak memory is its own:

* ``full``: :func:`~imrkb.search.neighbour_table.update_neighbours` from the records on disk, no table;
* ``records``: the same with the decisions already read (as the site build passes them): the neighbour
  computation alone, reading not timed;
* ``noop``: an update when nothing changed (scanning the folder, loading the table);
* ``incremental``: one decision's item changed on disk, then an update; reports the lists it changed.

    .venv/bin/python bench/neighbours.py [--sizes 10000,100000] [--jobs 2] [--repeat 1]

Prints a table (CPU seconds include worker processes; peak memory is the largest process) and writes
bench/work/neighbours/results.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from clock import cpu_seconds  # noqa: E402

from imrkb.records import atomic_write_text, read_record, to_yaml  # noqa: E402
from imrkb.search.neighbour_table import table_home, update_neighbours  # noqa: E402

WORK = ROOT / "bench" / "work" / "neighbours"


def peak_mb() -> float:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return max(me.ru_maxrss, kids.ru_maxrss) / 1024


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def corpus(n: int, jobs: int) -> Path:
    root = WORK / f"corpus-{n}"
    if not (root / "decisions").is_dir():
        subprocess.run(
            [sys.executable, "-m", "imrkb", "synth", "--count", str(n), "--seed", "11", "--format", "yaml",
             "--out", str(root / "decisions.tmp"), "--jobs", str(jobs)],
            check=True,
        )  # fmt: skip
        (root / "decisions.tmp").rename(root / "decisions")
    return root


def step(name: str, root: Path, jobs: int) -> dict[str, Any]:
    """One measured step, in this (fresh) process."""
    records = None
    if name == "full":
        (table_home(root) / "table.npz").unlink(missing_ok=True)
    elif name == "records":
        (table_home(root) / "table.npz").unlink(missing_ok=True)
        records = [
            (p.relative_to(root).as_posix(), read_record(p)) for p in sorted(root.glob("decisions/*/*.yaml"))
        ]
    elif name == "incremental":
        first = sorted((root / "decisions").glob("*/*.yaml"))[123]
        d = read_record(first)
        item = d.issues[0].item
        item = (
            item[: -len(" and acupuncture")]
            if item.endswith(" and acupuncture")
            else item + " and acupuncture"
        )
        issues = (dataclasses.replace(d.issues[0], item=item), *d.issues[1:])
        atomic_write_text(first, to_yaml(dataclasses.replace(d, issues=issues)))
    cpu0, wall0 = cpu_seconds(), time.monotonic()
    up = update_neighbours(root, records, jobs=jobs)
    wall, cpu = time.monotonic() - wall0, cpu_seconds() - cpu0
    return {
        "step": name,
        "decisions": len(up.table),
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "peak_mb": round(peak_mb()),
        "full": up.full,
        "changed_lists": len(up.changed),
        "ms_per_decision_wall": round(1000 * wall / max(1, len(up.table)), 3),
        "load": load(),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=1, help="runs of each step (the best CPU time is kept)")
    ap.add_argument("--step", help=argparse.SUPPRESS)
    ap.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.step:
        print(json.dumps(step(args.step, args.root, args.jobs)))
        return 0
    results = []
    for n in (int(s) for s in args.sizes.split(",")):
        root = corpus(n, args.jobs)
        for name in (
            "records",
            "full",
            "noop",
            "incremental",
        ):  # noop and incremental after a scan of the folder
            runs = []
            for _ in range(args.repeat):
                out = subprocess.run(
                    [sys.executable, __file__, "--step", name, "--root", str(root), "--jobs", str(args.jobs)],
                    check=True, capture_output=True, text=True,
                )  # fmt: skip
                runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
            best = min(runs, key=lambda r: r["cpu_s"])
            results.append({"size": n, **best})
            print(
                f"{n:>7,}  {name:<11}  wall {best['wall_s']:>7.2f} s  CPU {best['cpu_s']:>7.2f} s  "
                f"peak {best['peak_mb']:>5} MB  {best['ms_per_decision_wall']:.3f} ms/decision  "
                f"lists changed {best['changed_lists']:,}  load {best['load']}",
                flush=True,
            )
    WORK.mkdir(parents=True, exist_ok=True)
    (WORK / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
