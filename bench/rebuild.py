#!/usr/bin/env python3
"""Rebuild benchmark: what ``imrkb build`` costs after a small change to a large corpus.

usage: bench/rebuild.py [--count N] [--seed S] [--shards] [--reuse] [--out FILE-STEM]

Makes N synthetic decisions once (``imrkb synth --format yaml``, kept in bench/work/rebuild-N-S/), builds
the site with ``imrkb build --full`` (skipped with ``--reuse`` when a site is already published there),
then times the real command (``imrkb build``: site, Pagefind and the Whoosh precedent index) after each of:

- nothing changed;
- one decision's first outcome flipped;
- one new decision, dated the corpus's newest day (so every newest-first list it is on moves by one);
- that decision deleted again;
- nothing changed (a second time: the rebuild from the standby, the steady state);
- another outcome flipped, in the same year as the first (with ``--shards``, that shard's second
  rebuild: from its standby, the steady state for a change).

Each step reports wall time, CPU seconds (the build's whole process tree, ``getrusage``), the peak RSS
of its largest process and of all its processes together, and how many files the build changed.
With ``--shards`` the command is ``imrkb build --shards --jobs 2`` (every year its own site, then the
assembled site; kept in bench/work/rebuild-shards-N-S/), and each step also reports how many shards
were built; "files changed" is then what the assemble step linked into or removed from the site.
Issue 5's target: add or change one decision and rebuild in 30 s or less at 100,000. Results go to
bench/results/<date>-rebuild[-shards]-<N>.json and .md.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import run as bench  # noqa: E402  (bench/run.py: measure(), synth(), the targets)

from imrkb.records import atomic_write_text, read_record, to_yaml  # noqa: E402
from imrkb.site import buildstate  # noqa: E402

TARGET_REBUILD_S = 30.0


def _records(root: Path) -> list[Path]:
    return sorted((root / "decisions").glob("*/*.yaml"))


def flip_outcome(path: Path) -> str:
    """Flip the first item's outcome of the record at ``path``; return its id."""
    d = read_record(path)
    first = d.issues[0]
    flipped = dataclasses.replace(first, outcome="upheld" if first.outcome == "overturned" else "overturned")
    atomic_write_text(path, to_yaml(dataclasses.replace(d, issues=(flipped, *d.issues[1:]))))
    return d.id


def add_newest(root: Path, template: Path) -> Path:
    """A copy of ``template`` under a new synthetic case number, dated the corpus's newest day."""
    d = read_record(template)
    dates = [r.dates.decision for r in map(read_record, _recent(root)) if r.dates.decision]
    newest = max(dates, default=d.dates.decision or dt.date(2020, 1, 1))
    new_id = f"SYN{newest.year % 100:02d}-9999999"
    new = dataclasses.replace(
        d, id=new_id, case_number=new_id, dates=dataclasses.replace(d.dates, decision=newest)
    )
    path = root / "decisions" / new.year_folder / f"{new_id}.yaml"
    atomic_write_text(path, to_yaml(new))
    return path


def _recent(root: Path) -> list[Path]:
    """The records of the newest year folder (where the newest date is)."""
    years = sorted(p for p in (root / "decisions").iterdir() if p.is_dir())
    return sorted(years[-1].glob("*.yaml")) if years else []


def changed_files(root: Path, site: Path) -> int | None:
    """How many files the last build wrote, moved or removed (its change list), if it kept one."""
    state = buildstate.load(root, site, site.resolve())
    return None if state is None or state.changes is None else len(state.changes)


def sharded(log: Path) -> tuple[int | None, str]:
    """From a sharded build's log: files the assemble step linked or removed, and "K of N" shards built."""
    text = log.read_text(encoding="utf-8", errors="replace")
    files = re.search(r"(\d+) files linked, (\d+) removed", text)
    built = re.search(r"(\d+ of \d+) shards built", text)
    return (int(files[1]) + int(files[2]) if files else None), (built[1] if built else "")


def run(args: argparse.Namespace) -> dict[str, Any]:
    kind = "rebuild-shards" if args.shards else "rebuild"
    work = ROOT / "bench" / "work" / f"{kind}-{args.count}-{args.seed}"
    root = work / "corpus"
    (work / "logs").mkdir(parents=True, exist_ok=True)
    bench.synth(work / "logs", "yaml", args.count, args.seed, 2, root / "decisions")
    site = root / "site"
    build = bench.imrkb("build", "--root", str(root), "--out", str(site))
    if args.shards:
        build += ["--shards", "--jobs", "2"]
    steps: list[dict[str, Any]] = []

    def step(name: str, cmd: list[str]) -> None:
        m = bench.measure(name, cmd, work / "logs")
        m.pop("stdout", None)
        m.pop("rc", None)
        if args.shards:
            files, built = sharded(work / "logs" / f"{name}.log")
            steps.append({"step": name, **m, "files changed": files, "shards built": built})
        else:
            steps.append({"step": name, **m, "files changed": changed_files(root, site)})

    if not (args.reuse and site.exists()):
        step("full build", [*build, "--full"])
    step("nothing changed", build)
    records = _records(root)
    flipped = flip_outcome(records[len(records) // 2])
    step(f"one outcome flipped ({flipped})", build)
    added = add_newest(root, records[len(records) // 3])
    step(f"one new newest decision ({added.stem})", build)
    added.unlink()
    step("that decision deleted", build)
    step("nothing changed, again", build)
    year = records[len(records) // 2].parent
    same_year = sorted(year.glob("*.yaml"))
    again = flip_outcome(same_year[len(same_year) // 3])
    step(f"another outcome flipped, same year ({again})", build)
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "shards": args.shards,
        "count": len(records),
        "cpus": os.cpu_count(),
        "load": os.getloadavg(),
        "steps": steps,
    }


def markdown(r: dict[str, Any]) -> str:
    shards = r.get("shards", False)
    lines = [
        f"### {'Sharded rebuild' if shards else 'Rebuild'} after one change, {r['count']:,} synthetic "
        f"decisions ({r['date'][:10]}, {r['cpus']} CPUs)",
        "",
        ("`imrkb build --shards --jobs 2`" if shards else "`imrkb build`")
        + " (site, Pagefind, Whoosh precedent index) after each step.",
        "",
        "| step | wall s | cpu s | peak MB (largest process) | peak MB (all processes) "
        f"| files changed |{' shards built |' if shards else ''} ≤ 30 s |",
        f"|---|---:|---:|---:|---:|---:|{'---|' if shards else ''}---|",
    ]
    for s in r["steps"]:
        met = "" if s["step"] == "full build" else ("yes" if s["seconds"] <= TARGET_REBUILD_S else "no")
        built = f" {s.get('shards built', '')} |" if shards else ""
        files = "" if s["files changed"] is None else s["files changed"]
        lines.append(
            f"| {s['step']} | {s['seconds']:.1f} | {s['cpu_s']:.1f} | {s['peak_mb']:.0f} | "
            f"{s['tree_peak_mb']:.0f} | {files} |{built} {met} |"
        )
    la = ", ".join(f"{x:.1f}" for x in r["load"])
    lines += ["", f"Load average at the end: {la} (other work on the machine inflates wall times)."]
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=10_000, help="synthetic decisions (default 10000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--shards", action="store_true", help="time imrkb build --shards")
    ap.add_argument("--reuse", action="store_true", help="keep the published site: skip the full build")
    ap.add_argument("--out", help="results file stem (default bench/results/<date>-rebuild-<N>)")
    args = ap.parse_args()
    t0 = time.monotonic()
    r = run(args)
    kind = "rebuild-shards" if args.shards else "rebuild"
    stem = (
        Path(args.out) if args.out else ROOT / "bench" / "results" / f"{r['date'][:10]}-{kind}-{r['count']}"
    )
    stem.with_suffix(".json").write_text(json.dumps(r, indent=2) + "\n", encoding="utf-8")
    md = markdown(r)
    stem.with_suffix(".md").write_text(md, encoding="utf-8")
    print(md)
    print(f"({time.monotonic() - t0:.0f} s in all; {stem}.json)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
