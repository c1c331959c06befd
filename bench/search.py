#!/usr/bin/env python3
"""Precedent search benchmark: Whoosh (imrkb index/search) beside SQLite FTS5 over the same items.

For corpora of about 10,000 and 100,000 disputed items (synthetic records, made once and kept under
bench/work/search/), measures in the same run:

* index build time from the YAML records, from scratch: ``imrkb.search.indexer.update_index`` (2 writer
  processes by default) and an FTS5 table built from the same records (one process, its best case:
  one transaction, no content duplication);
* query latency p50/p95 over the judged queries (tests/search/judged_queries.yaml) as users run them: the
  tally, facet counts by outcome/year/guideline and the top 10 with a rationale snippet; FTS5 does the
  same work (a COUNT by outcome, GROUP BYs for the facets, top 10 by bm25 with snippet()).
* precision at 5 of both over the judged corpus of the relevance test (2,000 letters, seed 11).

    .venv/bin/python bench/search.py [--sizes 10000,100000] [--jobs 2] [--repeat 5]

Prints a table; also writes bench/work/search/results.json. CPU seconds include worker processes.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sqlite3
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from clock import cpu_seconds  # noqa: E402

from imrkb.records import from_dict, load_yaml_text  # noqa: E402
from imrkb.search.documents import decision_documents  # noqa: E402
from imrkb.search.evaluate import Truth, judge, load_judged, predicate, write_synthetic_corpus  # noqa: E402
from imrkb.search.indexer import scan_records, update_index  # noqa: E402
from imrkb.search.query import parse  # noqa: E402
from imrkb.search.searching import PrecedentIndex  # noqa: E402

WORK = ROOT / "bench" / "work" / "search"
ITEMS_PER_LETTER = 2.33  # the synthetic generator's mean; corpora are sized in letters


def main_cpu_seconds() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    return me.ru_utime + me.ru_stime


def load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def corpus(items: int, seed: int = 1) -> tuple[Path, dict[tuple[str, int], Truth] | None]:
    """A synthetic records tree of about ``items`` items (made once, reused)."""
    letters = round(items / ITEMS_PER_LETTER)
    root = WORK / f"corpus-{letters}-{seed}"
    if not (root / "decisions").is_dir():
        print(f"making {letters:,} synthetic records in {root} ...", file=sys.stderr, flush=True)
        tmp = root.with_suffix(".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        write_synthetic_corpus(tmp, letters, seed)
        tmp.rename(root)
    return root, None


# -- SQLite FTS5 over the same items ------------------------------------------------------------------

FTS_SCHEMA = """
CREATE VIRTUAL TABLE items USING fts5(
    item, original_request, rationale, citations, summary,
    uid UNINDEXED, decision UNINDEXED, outcome UNINDEXED, year UNINDEXED, date UNINDEXED,
    guideline, page, topic, category, specialty, state,
    tokenize = 'porter unicode61'
);
"""
_FTS_TERMS = ("guideline", "page", "topic", "category", "specialty", "state")


def fts_token(term: str) -> str:
    """Our filter terms (``mtus-acoem:8:178``) as single FTS5 tokens."""
    return "t" + term.replace(":", "_").replace("-", "_").replace("/", "_")


def build_fts(root: Path, db: Path) -> int:
    if db.exists():
        db.unlink()
    con = sqlite3.connect(db)
    con.executescript(FTS_SCHEMA)
    n = 0
    rows = []
    for rel, path in scan_records(root).items():
        d = from_dict(load_yaml_text(path.read_text(encoding="utf-8")))
        for doc in decision_documents(d, rel, None):
            rows.append(
                (
                    doc["item"],
                    doc["original_request"],
                    doc["rationale"],
                    doc["citations"],
                    doc["summary"],
                    doc["uid"],
                    doc["decision"],
                    doc["outcome"],
                    doc.get("year", ""),
                    doc["date"],
                    *(" ".join(fts_token(t) for t in doc[f].split()) for f in _FTS_TERMS),
                )
            )
            n += 1
    con.executemany(f"INSERT INTO items VALUES ({', '.join('?' * 16)})", rows)
    con.commit()
    con.close()
    return n


def fts_match(q: Any) -> str:
    """A filter clause's Whoosh query (terms, And, Or) as an FTS5 match expression on the same tokens."""
    from whoosh import query as wq

    if isinstance(q, wq.Term):
        return f"{q.fieldname} : {fts_token(q.text)}"
    joiner = " AND " if isinstance(q, wq.And) else " OR "
    return "(" + joiner.join(fts_match(sq) for sq in q.subqueries) + ")"


def fts_query(con: sqlite3.Connection, index: PrecedentIndex, text: str, limit: int = 10) -> dict[str, Any]:
    """The same work as a search: parse, tally, facets, top ``limit`` with a snippet."""
    q = parse(text, index.vocabulary)
    match: list[str] = []
    where: list[str] = []
    args: list[Any] = []
    for w in q.words:
        toks = "".join(ch if ch.isalnum() else " " for ch in w).split()
        if toks:
            match.append("(" + " ".join(f'"{t}"' for t in toks) + ")")
    for p in q.phrases:
        match.append('"' + p.replace('"', "") + '"')
    for c in q.clauses:
        if c.field == "outcome":
            where.append("outcome = ?")
            args.append(c.value)
        elif c.field == "year":
            lo, _, hi = c.value.partition("..")
            if ".." not in c.value:
                where.append("year = ?")
                args.append(lo)
            else:
                where.append("year BETWEEN ? AND ?")
                args += [lo or "0000", hi or "9999"]
        elif c.field == "decision":
            where.append("decision = ?")
            args.append(c.value)
        else:
            match.append(fts_match(c.query))
    sql_where = " AND ".join(["items MATCH ?"] * bool(match) + where) or "1"
    margs = ([" AND ".join(match)] if match else []) + args
    tally = dict(
        con.execute(
            f"SELECT outcome, count(*) FROM items WHERE {sql_where} GROUP BY outcome", margs
        ).fetchall()
    )
    years = con.execute(f"SELECT year, count(*) FROM items WHERE {sql_where} GROUP BY year", margs).fetchall()
    families = {fts_token(g) for g in index.vocabulary.chapters}
    fams: dict[str, int] = {}
    for (gl,) in con.execute(f"SELECT guideline FROM items WHERE {sql_where}", margs):
        for t in set(gl.split()) & families:
            fams[t] = fams.get(t, 0) + 1
    order = "ORDER BY bm25(items, 4.0, 2.0, 1.0, 1.0, 0.3)" if match else "ORDER BY date DESC"
    top = con.execute(
        f"SELECT uid, snippet(items, 2, '[', ']', ' … ', 24) FROM items "
        f"WHERE {sql_where} {order} LIMIT {limit}",
        margs,
    ).fetchall()
    return {"tally": tally, "years": years, "families": fams, "top": top}


# -- measurements -------------------------------------------------------------------------------------


def percentile(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    k = max(0, min(len(xs) - 1, round(p / 100 * (len(xs) - 1))))
    return xs[k]


def latency(fn: Any, queries: list[str], repeat: int, before: Any = None) -> tuple[float, float]:
    """Wall p50 and p95 in ms of :func:`latency_detail` (what bench/run.py reports)."""
    m = latency_detail(fn, queries, repeat, before)
    return m["p50_ms"], m["p95_ms"]


def latency_detail(fn: Any, queries: list[str], repeat: int, before: Any = None) -> dict[str, Any]:
    """Milliseconds of ``fn(query)`` over ``repeat`` rounds of ``queries`` (after one warm-up round), with
    ``before()`` run untimed before each query: wall p50/p95, CPU p50/p95 of this process, the p50/p95 of
    each query's best of the rounds (steadier on a shared machine) and the slowest queries."""
    for q in queries:
        fn(q)
    wall: dict[str, list[float]] = {q: [] for q in queries}
    cpu: list[float] = []
    for _ in range(repeat):
        for q in queries:
            if before:
                before()
            c, t = time.process_time(), time.perf_counter()
            fn(q)
            wall[q].append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
    times = [x for xs in wall.values() for x in xs]
    best = [min(xs) for xs in wall.values()]
    slowest = sorted(queries, key=lambda q: -statistics.median(wall[q]))[:5]
    return {
        "p50_ms": statistics.median(times),
        "p95_ms": percentile(times, 95),
        "cpu_p50_ms": statistics.median(cpu),
        "cpu_p95_ms": percentile(cpu, 95),
        "best_p50_ms": statistics.median(best),
        "best_p95_ms": percentile(best, 95),
        "slowest": {q: round(statistics.median(wall[q]), 1) for q in slowest},
    }


def bench_size(items: int, jobs: int, repeat: int, queries: list[str]) -> dict[str, Any]:
    root, _ = corpus(items)
    shutil.rmtree(root / ".imrkb", ignore_errors=True)
    c0, m0, t0 = cpu_seconds(), main_cpu_seconds(), time.perf_counter()
    report = update_index(root, full=True, procs=jobs, progress=False)
    w_wall, w_cpu, w_main = time.perf_counter() - t0, cpu_seconds() - c0, main_cpu_seconds() - m0
    db = WORK / f"fts-{root.name}.sqlite"
    c0, t0 = cpu_seconds(), time.perf_counter()
    n_fts = build_fts(root, db)
    f_wall, f_cpu = time.perf_counter() - t0, cpu_seconds() - c0
    assert n_fts == report.items, (n_fts, report.items)
    index = PrecedentIndex(root)
    con = sqlite3.connect(db)
    w = latency_detail(lambda q: index.search(q, limit=10), queries, repeat)
    # uncached: the text-term bitmaps a query reads are dropped before it (facet values stay, as in a server)
    u = latency_detail(lambda q: index.search(q, limit=10), queries, repeat, index.forget_text_terms)
    f = latency_detail(lambda q: fts_query(con, index, q), queries, repeat)
    index.close()
    con.close()
    return {
        "items": report.items,
        "decisions": report.decisions,
        "whoosh": {
            "index_s": w_wall,
            "index_cpu_s": w_cpu,
            "index_cpu_main_s": w_main,
            **w,
            "uncached": u,
            "uncached_p50_ms": u["p50_ms"],
            "uncached_p95_ms": u["p95_ms"],
        },
        "fts5": {"index_s": f_wall, "index_cpu_s": f_cpu, **f},
    }


def precision(jobs: int) -> dict[str, float]:
    root = WORK / "judged-2000-11"
    if not (root / "decisions").is_dir():
        truth = write_synthetic_corpus(root, 2000, 11)
    else:
        from imrkb.synth.generate import generate

        truth = {
            (letter.decision.id, n): Truth(letter.decision, i, w.treatment)
            for letter in generate(2000, 11)
            for n, (i, w) in enumerate(zip(letter.decision.issues, letter.written, strict=True), 1)
        }
    update_index(root, procs=jobs, progress=False)
    db = WORK / "fts-judged.sqlite"
    build_fts(root, db)
    con = sqlite3.connect(db)
    judged = load_judged()
    with PrecedentIndex(root) as index:
        w = [judge(index, j, truth).precision for j in judged]
        f = []
        for j in judged:
            rel = predicate(j.relevant)
            top = fts_query(con, index, j.query, limit=5)["top"]
            keys = [(uid.split("#")[0], int(uid.split("#")[1])) for uid, _ in top]
            f.append(sum(1 for k in keys if k in truth and rel(truth[k])) / 5)
    return {"queries": len(judged), "whoosh_p5": sum(w) / len(w), "fts5_p5": sum(f) / len(f)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000", help="corpus sizes in items (default: 10000,100000)")
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), help="index writer processes")
    ap.add_argument("--repeat", type=int, default=5, help="runs of the judged queries per engine")
    args = ap.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    queries = [j.query for j in load_judged()]
    load_start = load()
    rows = [bench_size(int(s), args.jobs, args.repeat, queries) for s in args.sizes.split(",")]
    prec = precision(args.jobs)
    results = {
        "cpus": os.cpu_count(),
        "jobs": args.jobs,
        "queries": len(queries),
        "sizes": rows,
        "precision": prec,
        "load_start": load_start,
        "load_end": load(),
    }
    (WORK / "results.json").write_text(json.dumps(results, indent=2))
    print(
        f"\nprecedent search benchmark ({os.cpu_count()} CPUs, {args.jobs} writer processes, "
        f"{len(queries)} judged queries x {args.repeat})\n"
    )
    head = f"{'items':>9} {'engine':<7} {'index s':>8} {'cpu s':>7} {'p50 ms':>7} {'p95 ms':>7}"
    print(head)
    print("-" * len(head))
    for r in rows:
        for eng in ("whoosh", "fts5"):
            m = r[eng]
            print(
                f"{r['items']:>9,} {eng:<7} {m['index_s']:>8.1f} {m['index_cpu_s']:>7.1f} "
                f"{m['p50_ms']:>7.1f} {m['p95_ms']:>7.1f}"
            )
        w, f = r["whoosh"], r["fts5"]
        print(
            f"{'':>9} {'ratio':<7} {w['index_s'] / f['index_s']:>8.1f} "
            f"{w['index_cpu_s'] / f['index_cpu_s']:>7.1f} {w['p50_ms'] / f['p50_ms']:>7.1f} "
            f"{w['p95_ms'] / f['p95_ms']:>7.1f}   (whoosh / fts5)"
        )
    for r in rows:
        w, u = r["whoosh"], r["whoosh"]["uncached"]
        for name, m in (("whoosh", w), ("whoosh without cached term bitmaps", u)):
            print(
                f"{r['items']:,} items, {name}: p50/p95 {m['p50_ms']:.1f}/{m['p95_ms']:.1f} ms wall, "
                f"{m['cpu_p50_ms']:.1f}/{m['cpu_p95_ms']:.1f} ms CPU, each query's best of {args.repeat} "
                f"{m['best_p50_ms']:.1f}/{m['best_p95_ms']:.1f} ms; slowest: "
                + ", ".join(f"{q} {ms}" for q, ms in m["slowest"].items())
            )
        print(
            f"{r['items']:,} items, whoosh index CPU in the main process "
            f"{w['index_cpu_main_s']:.1f} s of {w['index_cpu_s']:.1f} s"
        )
    print(f"load average: {results['load_start']} at the start, {results['load_end']} at the end")
    print(
        f"\nprecision@5 over {prec['queries']} judged queries (2,000 letters, seed 11): "
        f"whoosh {prec['whoosh_p5']:.3f}, fts5 {prec['fts5_p5']:.3f}"
    )


if __name__ == "__main__":
    main()
