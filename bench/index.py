#!/usr/bin/env python3
"""Index-only benchmark: a full build of the Whoosh precedent index, timed on its own (CPU s, wall, peak RSS).

    .venv/bin/python bench/index.py --count N [--seed S] [--jobs J] [--code DIR] [--modes plain,cached,...]
                                    [--label L]

Makes (or reuses) ``bench/work/index-N-S/corpus`` (``imrkb synth --format yaml``), fills the site build's
record cache the way ``imrkb build`` does (its first pass: every record parsed and checked for personal
data, timed as ``cache-fill``, which is build work, not index work), then runs each mode in a fresh child
process measured as ``bench/run.py`` measures a stage (``getrusage`` of the child: CPU s and the largest
process's peak RSS; the sum over the process tree sampled every 0.2 s):

* ``plain``: ``update_index(root, full=True, procs=J)``, every record parsed;
* ``cached``: the same with the record cache as the lookup (what ``imrkb build`` and ``imrkb index`` do);
* ``plain-1``, ``cached-1``: the same in one process.

``--code DIR`` runs the modes against another checkout's ``imrkb`` (a worktree of an older commit: the
"before" numbers; modes needing what it lacks are skipped). Results go to
``bench/results/<date>-index-<N>[-L].json``; a table is printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
import run as runbench  # noqa: E402  (bench/run.py: synth, measure)

MODES = {"plain": (False, None), "cached": (True, None), "plain-1": (False, 1), "cached-1": (True, 1)}


def stage_fill(root: Path) -> None:
    """The site build's first pass over the records: each parsed, scanned and put in the record cache."""
    from imrkb.site.corpus import iter_checked
    from imrkb.site.recordcache import RecordCache, cache_path

    cache = RecordCache(cache_path(root))
    for _ in iter_checked(root, cache, scan=True):
        pass
    cache.close()


def stage_index(root: Path, cached: bool, procs: int | None) -> None:
    """A full index build; with ``cached`` the record cache answers for unchanged records."""
    from imrkb.search.indexer import update_index

    kwargs: dict[str, Any] = {}
    if cached:
        from imrkb.site.recordcache import CachedRecords, build_caches

        kwargs["lookup"] = CachedRecords(build_caches(root))
    report = update_index(root, full=True, procs=procs, progress=False, **kwargs)
    print(json.dumps({"items": report.items, "decisions": report.decisions}))


def child(code: Path, *args: str) -> list[str]:
    """This script as a stage in a child process, importing ``imrkb`` from ``code``."""
    return ["env", f"PYTHONPATH={code}", runbench.PY, __file__, "--stage", *args]


def supports_lookup(code: Path) -> bool:
    return (code / "imrkb" / "search" / "reading.py").is_file()


def run(args: argparse.Namespace) -> dict[str, Any]:
    code = Path(args.code).resolve() if args.code else ROOT
    work = BENCH / "work" / f"index-{args.count}-{args.seed}"
    work.mkdir(parents=True, exist_ok=True)
    corpus = work / "corpus"
    runbench.synth(work, "yaml", args.count, args.seed, args.jobs, corpus / "decisions")
    stages: dict[str, dict[str, Any]] = {}
    modes = list(filter(None, args.modes.split(",")))
    if any(MODES[m][0] for m in modes) and supports_lookup(code):
        stages["cache-fill"] = runbench.measure("cache-fill", child(ROOT, "fill", str(corpus)), work)
    for mode in modes:
        cached, procs = MODES[mode]
        if cached and not supports_lookup(code):
            print(f"    {mode}: skipped ({code} has no record lookup)", file=sys.stderr)
            continue
        jobs = procs or args.jobs
        cmd = child(code, "index", str(corpus), str(int(cached)), str(jobs))
        m = runbench.measure(f"index-{mode}", cmd, work)
        m.update(json.loads(m.pop("stdout").strip().splitlines()[-1]))
        stages[mode] = m
    return {
        "count": args.count,
        "seed": args.seed,
        "jobs": args.jobs,
        "code": str(code),
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load_avg": os.getloadavg()},
        "stages": stages,
    }


def table(r: dict[str, Any]) -> str:
    lines = [
        f"index-only, {r['count']:,} decisions (seed {r['seed']}), code {r['code']}",
        "| mode | wall s | cpu s | peak MB (largest process) | peak MB (all processes) |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, m in r["stages"].items():
        peaks = f"{m['peak_mb']:.0f} | {m['tree_peak_mb']:.0f}"
        lines.append(f"| {name} | {m['seconds']:.1f} | {m['cpu_s']:.1f} | {peaks} |")
    load = ", ".join(f"{x:.1f}" for x in r["machine"]["load_avg"])
    return "\n".join(lines) + f"\n\nLoad average at the end: {load}\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--code", help="checkout whose imrkb is measured (default: this one)")
    ap.add_argument("--modes", default="plain,cached,plain-1,cached-1")
    ap.add_argument("--label", default="")
    ap.add_argument("--stage", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.stage:
        name, *rest = args.stage
        if name == "fill":
            stage_fill(Path(rest[0]))
        else:
            stage_index(Path(rest[0]), rest[1] == "1", int(rest[2]))
        return 0
    r = run(args)
    runbench.RESULTS.mkdir(parents=True, exist_ok=True)
    stem = f"{r['date'][:10]}-index-{r['count']}" + (f"-{args.label}" if args.label else "")
    (runbench.RESULTS / f"{stem}.json").write_text(json.dumps(r, indent=2) + "\n", encoding="utf-8")
    print(table(r))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
