#!/usr/bin/env python3
"""Ingest throughput: ``imrkb ingest`` of N synthetic letters, letters/s (wall) and CPU seconds.

usage: bench/ingest.py [--count N] [--seed S] [--format txt|pdf] [--jobs J ...] [--repeat R] [--stages]

Makes N letters once with ``imrkb synth`` (kept in bench/work/letters-<fmt>-<N>-<S>/), then, for each
``--jobs`` value, runs ``imrkb ingest`` into an empty root ``--repeat`` times (best wall time kept) and
once more into the filled root (every record ``unchanged``). CPU seconds are the child's user + system
time (``getrusage``), steadier than wall time on a shared machine; the load average is printed.

``--stages`` instead times each step of ingesting one letter in this process (CPU ms per letter):
read + parse, personal-data scan, YAML dump, YAML read-back (only for records the emitter does not vouch
for), record check, write. Runs into an empty root parse every letter (the ingest cache starts empty);
the re-run into the filled root takes every record from the cache.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
WORK = ROOT / "bench" / "work"


def letters(fmt: str, count: int, seed: int) -> Path:
    """The folder of ``count`` synthetic letters (made once)."""
    out = WORK / f"letters-{fmt}-{count}-{seed}"
    if not out.is_dir():
        tmp = out.with_name(out.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        cmd = [sys.executable, "-m", "imrkb", "synth", "--count", str(count), "--seed", str(seed),
               "--format", fmt, "--out", str(tmp)]
        subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
        tmp.rename(out)
    return out


def run_ingest(src: Path, root: Path, jobs: int) -> tuple[float, float, str]:
    """``imrkb ingest src --root root --jobs jobs`` in a child: (wall s, CPU s, summary line)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    cmd = [sys.executable, "-m", "imrkb", "ingest", str(src), "--root", str(root), "--jobs", str(jobs)]
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        raise SystemExit(f"ingest failed (exit {p.returncode}):\n{p.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, p.stderr.strip().splitlines()[-1]


def stages(src: Path) -> None:
    """CPU ms per letter for each step of :func:`imrkb.ingest._parse_one` and the write."""
    import dataclasses

    from imrkb import ingest as ing
    from imrkb.pii import scan_letter
    from imrkb.records import atomic_write_text, to_yaml, to_yaml_loaded
    from imrkb.validate import check_record, known_chapters, parse_yaml

    chapters = known_chapters()
    paths, _ = ing.find_letters([src])
    ing._read_and_parse(paths[0])  # warm the caches (catalog, patterns, schema) outside the timings
    check_record(parse_yaml(to_yaml(ing._read_and_parse(paths[0])[0]))[0], chapters)
    names = ["read + parse", "personal-data scan", "YAML dump", "YAML read-back", "record check", "write"]
    spent = dict.fromkeys(names, 0.0)
    clock = time.process_time
    with tempfile.TemporaryDirectory() as tmp:
        for i, path in enumerate(paths):
            t0 = clock()
            decision, text = ing._read_and_parse(path)
            t1 = clock()
            decision = dataclasses.replace(decision, pii=scan_letter(decision, text))
            t2 = clock()
            yaml_text, data = to_yaml_loaded(decision)
            t3 = clock()
            if data is None:  # as ingest: read back only what the emitter does not vouch for
                data, _ = parse_yaml(yaml_text)
            t4 = clock()
            check_record(data, chapters)
            t5 = clock()
            atomic_write_text(Path(tmp) / f"{i}.yaml", yaml_text)
            t6 = clock()
            for name, a, b in zip(names, (t0, t1, t2, t3, t4, t5), (t1, t2, t3, t4, t5, t6), strict=True):
                spent[name] += b - a
    total = sum(spent.values())
    print(f"{len(paths)} letters from {src.name}, one process, CPU ms per letter:")
    print("| step | ms/letter | share |")
    print("|---|---:|---:|")
    for name, s in spent.items():
        print(f"| {name} | {1000 * s / len(paths):.2f} | {100 * s / total:.0f}% |")
    print(f"| total | {1000 * total / len(paths):.2f} | |")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--format", choices=("txt", "pdf"), default="txt")
    ap.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeat", type=int, default=3, help="runs per jobs value; the best wall time is kept")
    ap.add_argument("--stages", action="store_true", help="CPU ms per letter for each step, in-process")
    a = ap.parse_args()
    src = letters(a.format, a.count, a.seed)
    n = a.count
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} CPUs)")
    if a.stages:
        stages(src)
        return 0
    print(f"| {n:,} {a.format} letters | jobs | letters/s (best wall) | wall s | CPU s | "
          f"unchanged re-run: wall s / CPU s |")
    print("|---|---:|---:|---:|---:|---|")
    for jobs in a.jobs:
        runs = []
        with tempfile.TemporaryDirectory(dir=WORK) as tmp:
            for r in range(a.repeat):
                root = Path(tmp) / f"root-{r}"
                root.mkdir()
                runs.append(run_ingest(src, root, jobs))
            again = run_ingest(src, Path(tmp) / "root-0", jobs)
        wall, cpu, _ = min(runs)
        row = f"| ingest | {jobs} | {n / wall:.0f} | {wall:.1f} | {cpu:.1f} | {again[0]:.1f} / {again[1]:.1f}"
        row += " |"
        print(row, flush=True)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
