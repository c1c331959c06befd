#!/usr/bin/env python3
"""Scale benchmark: every stage of imrkb on N synthetic decisions, each timed on its own, with references.

    .venv/bin/python bench/run.py --count N [--letters [--letter-count M]] [--seed S] [--jobs J]
                                  [--shards] [--skip STAGE,...]

Makes a synthetic corpus of N decisions (``imrkb synth --format yaml``; with ``--letters`` also M
letters, default N, as text and as PDF to ingest), then runs each stage in a fresh child process and
records its wall time, CPU time and peak resident memory (``getrusage(RUSAGE_CHILDREN)`` read by a
wrapper process per stage, so one stage's peak never hides another's; grandchildren such as Pagefind
that are waited for count). Stages:

* ``ingest-txt``, ``ingest-pdf``: ``imrkb ingest`` of the letters (letters per second);
* ``validate``: ``imrkb validate``;
* ``render``: the site build with MkDocs and Pagefind left out (records -> staged pages);
* ``mkdocs``: ``mkdocs build`` of the staged pages; ``pagefind``: the search index of the built site;
* ``index``: ``imrkb index --full`` (Whoosh); ``search``: p50/p95 over the judged queries;
* ``build``: the whole ``imrkb build``; with ``--shards`` also ``imrkb build --shards`` (every year its
  own MkDocs + Pagefind build, in parallel) and the slowest/largest shard.

References in the same run, on the same corpus: (a) ``naive``: the first min(N, 2000) decisions as a
plain MkDocs + Material site with every page in the nav and the built-in search (it is quadratic, so
never more than 2,000 pages), (b) ``fts5``: SQLite FTS5 over the same items (index build and the
judged queries), (c) ``floor``: copying the finished site folder. Ratios are printed.

Results go to ``bench/results/<date>-<N>.json`` and ``bench/results/<date>-<N>.md`` (the markdown
table the README shows). Work files live in ``bench/work/run-<N>/`` (ignored by git).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
NAIVE_MAX = 2000
TARGET_DOWNLOAD_KB = 300.0
DOWNLOAD_QUERIES = [
    "q=lumbar+MRI",
    "q=Norco&outcome=overturned",
    "q=acupuncture&year=2015",
    "q=zzzz",
    "q=lumbar+MRI&sort=newest",  # words in date order
    "year=2016",  # filters only: newest first
    "outcome=overturned",
    "year=2016&outcome=upheld",  # two filters: no count in the manifest
]
PY = sys.executable

#: Issue 5's targets on a 2-core, 24 GB machine (the build targets are for 100,000 decisions).
TARGET_BUILD_S_100K = 600.0
TARGET_PEAK_MB = 4096.0
TARGET_PDF_PER_S = 50.0
TARGET_TXT_PER_S = 500.0
TARGET_P95_MS = 50.0


# ----------------------------------------------------------------------------- measuring one stage


def _tree_pids(root_pid: int) -> set[int]:
    """``root_pid`` and all its descendants now (Linux /proc)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    parents[int(entry)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, grew = {root_pid}, True
    while grew:
        more = {p for p, pp in parents.items() if pp in tree} - tree
        grew = bool(more)
        tree |= more
    return tree


def _tree_rss_mb(pids: set[int]) -> float:
    """Resident memory of the processes ``pids`` now, in MB: each process's RSS, summed (pages that
    forked workers share with their parent count once per process)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/statm") as f:
                total += int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    return total / 2**20


def _tree_pss_mb(pids: set[int]) -> float:
    """The memory the processes ``pids`` use now, in MB: each process's proportional set size (a page
    shared by k processes counts 1/k in each), summed, so shared pages count once in all."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                total += next(int(line.split()[1]) for line in f if line.startswith("Pss:")) * 1024
        except (OSError, IndexError, ValueError, StopIteration):
            continue
    return total / 2**20


def _measure_here(cmd: list[str], log: Path | None) -> dict[str, float]:
    """Run ``cmd`` as this process's only child: wall time, CPU time, the peak RSS of its largest
    single process (getrusage) and the peak of the sum over its whole process tree (sampled /proc every
    0.2 s: processes running at the same time, such as parallel Pagefind runs, add up)."""
    import threading

    t0 = time.perf_counter()
    peak_tree = peak_pss = 0.0
    with open(log or os.devnull, "w") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True)
        done = threading.Event()

        def sample() -> None:
            nonlocal peak_tree, peak_pss
            tick = 0
            while not done.wait(0.2):
                pids = _tree_pids(proc.pid)
                peak_tree = max(peak_tree, _tree_rss_mb(pids))
                if tick % 5 == 0:  # PSS walks every page table: once a second
                    peak_pss = max(peak_pss, _tree_pss_mb(pids))
                tick += 1

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        out, _ = proc.communicate()
        done.set()
        sampler.join()
    wall = time.perf_counter() - t0
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "rc": proc.returncode,
        "seconds": wall,
        "cpu_s": ru.ru_utime + ru.ru_stime,
        "peak_mb": ru.ru_maxrss / 1024,
        "tree_peak_mb": max(peak_tree, ru.ru_maxrss / 1024),
        "tree_pss_mb": peak_pss,
        "stdout": out[-4000:],
    }


def measure(name: str, cmd: list[str], work: Path) -> dict[str, Any]:
    """Measure ``cmd`` from a fresh wrapper process (so the peak is this command's alone)."""
    log = work / f"{name}.log"
    print(f"[{time.strftime('%H:%M:%S')}] {name}: {' '.join(cmd[1:6])} ...", file=sys.stderr, flush=True)
    out = subprocess.run(
        [PY, __file__, "--measure", json.dumps([cmd, str(log)])], capture_output=True, text=True, check=True
    )
    m = json.loads(out.stdout)
    if m["rc"] != 0:
        tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-5:]
        raise SystemExit(f"stage {name} failed (exit {m['rc']}):\n  " + "\n  ".join(tail))
    print(
        f"    {m['seconds']:.1f} s wall, {m['cpu_s']:.1f} s cpu, peak {m['peak_mb']:.0f} MB "
        f"(all processes together: {m['tree_peak_mb']:.0f} MB RSS, {m['tree_pss_mb']:.0f} MB PSS)",
        file=sys.stderr,
        flush=True,
    )
    return m


# ----------------------------------------------------------------------------- stages run in a child


def stage_render(root: Path, out: Path) -> None:
    """The site build without its Pagefind index: records -> pages (MkDocs renders only the hand-written
    pages and the page templates the generated pages are stamped into)."""
    from imrkb.site import build as b

    b.build_site(root, out, search_index=False, say=lambda _m: None)


def stage_mkdocs(root: Path, out: Path) -> None:
    """MkDocs alone, on what the render stage staged (hand-written pages and page templates)."""
    from imrkb.site.build import run_mkdocs

    run_mkdocs(root / "build" / "docs", out, None)


def stage_pagefind(site: Path) -> None:
    from imrkb.site import build as b

    index = getattr(b, "index_site", None)
    if index is not None:
        index(site)
    else:
        b.run_pagefind(site)


def stage_search(root: Path, repeat: int) -> None:
    """p50/p95 of the judged queries against the Whoosh index and FTS5 (printed as JSON)."""
    import sqlite3

    sys.path.insert(0, str(BENCH))
    from search import fts_query, latency  # bench/search.py

    from imrkb.search.evaluate import load_judged
    from imrkb.search.searching import PrecedentIndex

    queries = [j.query for j in load_judged()]
    index = PrecedentIndex(root)
    w50, w95 = latency(lambda q: index.search(q, limit=10), queries, repeat)
    con = sqlite3.connect(root / "fts.sqlite")
    f50, f95 = latency(lambda q: fts_query(con, index, q), queries, repeat)
    print(json.dumps({"queries": len(queries), "whoosh": [w50, w95], "fts5": [f50, f95]}))


def stage_fts(root: Path) -> None:
    sys.path.insert(0, str(BENCH))
    from search import build_fts  # bench/search.py

    print(json.dumps({"items": build_fts(root, root / "fts.sqlite")}))


def stage_naive(root: Path, out: Path, count: int) -> None:
    """Reference (a): the first ``count`` decisions as plain Markdown pages, all in the nav, built-in
    search on, Material theme: what a straightforward MkDocs site of the corpus costs."""
    from imrkb.records import read_record
    from imrkb.site.corpus import record_paths

    work = out.parent / "naive-src"
    shutil.rmtree(work, ignore_errors=True)
    docs = work / "docs"
    (docs / "decisions").mkdir(parents=True)
    (docs / "index.md").write_text("# Decisions\n", encoding="utf-8")
    nav = []
    for path in record_paths(root)[:count]:
        d = read_record(path)
        lines = [f"# {d.id}", "", f"Decision date: {d.dates.decision}", ""]
        for n, i in enumerate(d.issues, 1):
            lines += [f"## Item {n}: {i.outcome}", "", i.item, "", i.rationale, ""]
        lines += ["## Summary", "", d.summary or ""]
        (docs / "decisions" / f"{d.id}.md").write_text("\n".join(lines), encoding="utf-8")
        nav.append({d.id: f"decisions/{d.id}.md"})
    cfg = {
        "site_name": "naive",
        "docs_dir": str(docs),
        "site_dir": str(out),
        "theme": {"name": "material"},
        "plugins": ["search"],
        "nav": [{"Home": "index.md"}, {"Decisions": nav}],
    }
    (work / "mkdocs.yml").write_text(json.dumps(cfg), encoding="utf-8")
    t0 = time.perf_counter()
    subprocess.run([PY, "-m", "mkdocs", "build", "-q", "-f", str(work / "mkdocs.yml")], check=True)
    print(json.dumps({"pages": len(nav), "mkdocs_s": time.perf_counter() - t0}))


def stage_download(site: Path) -> None:
    """Bytes a browser downloads for searches on the built site's search page (Chromium, Playwright):
    the page itself and everything it loads, then each query's extra downloads (printed as JSON)."""
    import threading

    from playwright.sync_api import expect, sync_playwright

    from imrkb.serve import make_server

    server = make_server(site, 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    out: dict[str, Any] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium")
        for q in DOWNLOAD_QUERIES:
            ctx = browser.new_context()  # cold cache: a first visit
            page = ctx.new_page()
            got: list[Any] = []
            page.on("response", lambda r, got=got: got.append(r))
            page.goto(f"{base}search/?{q}")
            expect(page.locator("#imrkb-status")).to_contain_text("found", timeout=60_000)
            page.wait_for_load_state("networkidle")
            sizes = [(r.url, len(r.body())) for r in got if r.ok]
            search = [n for u, n in sizes if "/pagefind/" in u]
            out[q] = {
                "requests": len(got),
                "page_kb": sum(n for _, n in sizes) / 1024,
                "kb": sum(search) / 1024,  # what the search itself downloads: Pagefind's files
                "search_requests": len(search),
            }
            ctx.close()
        browser.close()
    server.shutdown()
    print(json.dumps(out))


def stage_copy(src: Path, dst: Path) -> None:
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst)


def run_stage(argv: list[str]) -> int:
    name, *rest = argv
    if name == "render":
        stage_render(Path(rest[0]), Path(rest[1]))
    elif name == "mkdocs":
        stage_mkdocs(Path(rest[0]), Path(rest[1]))
    elif name == "pagefind":
        stage_pagefind(Path(rest[0]))
    elif name == "search":
        stage_search(Path(rest[0]), int(rest[1]))
    elif name == "fts":
        stage_fts(Path(rest[0]))
    elif name == "naive":
        stage_naive(Path(rest[0]), Path(rest[1]), int(rest[2]))
    elif name == "download":
        stage_download(Path(rest[0]))
    elif name == "copy":
        stage_copy(Path(rest[0]), Path(rest[1]))
    else:
        raise SystemExit(f"unknown stage {name}")
    return 0


# ----------------------------------------------------------------------------- the run


def size_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def n_files(path: Path) -> int:
    return sum(len(f) for _, _, f in os.walk(path))


def imrkb(*args: str) -> list[str]:
    return [PY, "-m", "imrkb", *args]


def me(*args: str) -> list[str]:
    return [PY, __file__, "--stage", *args]


def has_command(name: str) -> bool:
    return (ROOT / "imrkb" / "commands" / f"{name}.py").is_file()


def synth(work: Path, fmt: str, count: int, seed: int, jobs: int, dest: Path) -> None:
    if dest.is_dir() and any(dest.iterdir()):
        return
    tmp = dest.with_name(dest.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    measure(
        f"synth-{fmt}",
        imrkb(
            "synth",
            "--count",
            str(count),
            "--seed",
            str(seed),
            "--format",
            fmt,
            "--out",
            str(tmp),
            "--jobs",
            str(jobs),
        ),
        work,
    )
    tmp.rename(dest)


def run(args: argparse.Namespace) -> dict[str, Any]:
    n, jobs = args.count, args.jobs
    work = BENCH / "work" / f"run-{n}-{args.seed}"
    work.mkdir(parents=True, exist_ok=True)
    corpus = work / "corpus"
    synth(work, "yaml", n, args.seed, jobs, corpus / "decisions")
    skip = set(filter(None, args.skip.split(",")))
    st: dict[str, dict[str, Any]] = {}
    extra: dict[str, Any] = {}

    def stage(name: str, cmd: list[str]) -> dict[str, Any] | None:
        if name in skip:
            return None
        st[name] = measure(name, cmd, work)
        return st[name]

    if args.letters:
        m = args.letter_count or n
        for fmt in ("txt", "pdf"):
            letters = work / f"letters-{fmt}-{m}"
            synth(work, fmt, m, args.seed, jobs, letters)
            dest = work / f"ingested-{fmt}"
            shutil.rmtree(dest, ignore_errors=True)
            dest.mkdir()
            if stage(
                f"ingest-{fmt}", imrkb("ingest", str(letters), "--root", str(dest), "--jobs", str(jobs))
            ):
                st[f"ingest-{fmt}"]["letters"] = m
                st[f"ingest-{fmt}"]["per_s"] = m / st[f"ingest-{fmt}"]["seconds"]
    stage("validate", imrkb("validate", "--root", str(corpus), "--jobs", str(jobs)))
    site_r = work / "site-render"
    shutil.rmtree(site_r, ignore_errors=True)
    stage("render", me("render", str(corpus), str(site_r)))
    site_m = work / "site-stages"
    shutil.rmtree(site_m, ignore_errors=True)
    if "render" in st:
        stage("mkdocs", me("mkdocs", str(corpus), str(site_m)))
        stage("pagefind", me("pagefind", str(site_r)))
    if has_command("index") and "index" not in skip:
        shutil.rmtree(corpus / ".imrkb", ignore_errors=True)
        stage("index", imrkb("index", "--root", str(corpus), "--full", "--jobs", str(jobs)))
    stage("fts5-index", me("fts", str(corpus)))
    if (corpus / ".imrkb").is_dir() and (corpus / "fts.sqlite").is_file() and "search" not in skip:
        s = stage("search", me("search", str(corpus), str(args.repeat)))
        if s:
            extra["search"] = json.loads(s["stdout"].strip().splitlines()[-1])
    site = work / "site"
    shutil.rmtree(site, ignore_errors=True)
    if stage("build", imrkb("build", "--root", str(corpus), "--out", str(site))):
        extra["site"] = {
            "files": n_files(site),
            "mb": size_mb(site),
            "pagefind_mb": size_mb(site / "pagefind") if (site / "pagefind").exists() else 0.0,
        }
        d = stage("browser-download", me("download", str(site)))
        if d:
            extra["download"] = json.loads(d["stdout"].strip().splitlines()[-1])
        stage("floor-copy", me("copy", str(site), str(work / "site-copy")))
        shutil.rmtree(work / "site-copy", ignore_errors=True)
    if args.shards:
        shard_site = work / "site-shards"
        shutil.rmtree(shard_site, ignore_errors=True)
        cmd = imrkb("build", "--root", str(corpus), "--out", str(shard_site), "--shards", "--jobs", str(jobs))
        if stage("build-shards", cmd):
            report = shard_site / "shards.json"
            if report.is_file():
                extra["shards"] = json.loads(report.read_text(encoding="utf-8"))
            extra["site-shards"] = {"files": n_files(shard_site), "mb": size_mb(shard_site)}
            d = stage("browser-download-shards", me("download", str(shard_site)))
            if d:
                extra["download-shards"] = json.loads(d["stdout"].strip().splitlines()[-1])
    naive_n = min(n, NAIVE_MAX)
    s = stage("naive", me("naive", str(corpus), str(work / "site-naive"), str(naive_n)))
    if s:
        extra["naive"] = json.loads(s["stdout"].strip().splitlines()[-1])
    return {
        "count": n,
        "seed": args.seed,
        "jobs": jobs,
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_avg_at_end": os.getloadavg(),
        },
        "stages": {k: {kk: vv for kk, vv in v.items() if kk not in ("stdout", "rc")} for k, v in st.items()},
        "extra": extra,
    }


# ----------------------------------------------------------------------------- reporting


def _peak(m: dict[str, Any]) -> float:
    """The memory a stage's process tree used at its peak: the summed PSS when measured (shared pages
    once), else the summed RSS (forked workers' shared pages once per process)."""
    return m.get("tree_pss_mb") or m.get("tree_peak_mb", m["peak_mb"])


def _memory(m: dict[str, Any]) -> str:
    rss = f"{m.get('tree_peak_mb', m['peak_mb']):.0f} MB RSS"
    if m.get("tree_pss_mb"):
        return f"{m['tree_pss_mb']:.0f} MB PSS, all processes ({rss})"
    return f"{rss}, all processes"


def targets(r: dict[str, Any]) -> list[tuple[str, str, bool | None]]:
    """(target, measured, met) for each issue-5 target this run can judge (None: not at this size)."""
    st, n = r["stages"], r["count"]
    out: list[tuple[str, str, bool | None]] = []
    if "build" in st:
        b = st["build"]
        at100k = n >= 100_000
        scaled = b["seconds"] * 100_000 / n
        out.append(
            (
                "full build of 100,000 <= 10 min",
                f"{b['seconds']:.0f} s at {n:,} ({b['cpu_s']:.0f} cpu s)"
                + ("" if at100k else f" (linear to 100k: {scaled:.0f} s)"),
                (b["seconds"] <= TARGET_BUILD_S_100K) if at100k else None,
            )
        )
        out.append(
            (
                "build peak memory <= 4 GB",
                f"{_memory(b)} at {n:,}",
                _peak(b) <= TARGET_PEAK_MB if at100k else None,
            )
        )
    if "build-shards" in st:
        b = st["build-shards"]
        out.append(
            (
                "sharded build of 100,000 <= 10 min",
                f"{b['seconds']:.0f} s at {n:,} ({b['cpu_s']:.0f} cpu s)",
                b["seconds"] <= TARGET_BUILD_S_100K if n >= 100_000 else None,
            )
        )
        out.append(
            (
                "sharded build peak memory <= 4 GB",
                f"{_memory(b)} at {n:,}",
                _peak(b) <= TARGET_PEAK_MB if n >= 100_000 else None,
            )
        )
    for fmt, target in (("txt", TARGET_TXT_PER_S), ("pdf", TARGET_PDF_PER_S)):
        s = st.get(f"ingest-{fmt}")
        if s:
            out.append((f"ingest from {fmt} >= {target:.0f}/s", f"{s['per_s']:.0f}/s", s["per_s"] >= target))
    for key, label in (("download", "single build"), ("download-shards", "sharded build")):
        dl = r["extra"].get(key)
        if dl:
            worst = max(v["kb"] for v in dl.values())
            out.append(
                (
                    f"browser search download <= {TARGET_DOWNLOAD_KB:.0f} KB ({label})",
                    f"{worst:.0f} KB worst of {len(dl)} searches at {n:,}",
                    worst <= TARGET_DOWNLOAD_KB if n >= 100_000 else None,
                )
            )
    srch = r["extra"].get("search")
    if srch:
        p95 = srch["whoosh"][1]
        out.append(
            (
                f"search p95 <= {TARGET_P95_MS:.0f} ms at 100k",
                f"{p95:.1f} ms at {n:,}",
                p95 <= TARGET_P95_MS if n >= 100_000 else None,
            )
        )
    return out


def markdown(r: dict[str, Any]) -> str:
    st, ex, n = r["stages"], r["extra"], r["count"]
    lines = [
        f"### {n:,} synthetic decisions ({r['date'][:10]}, {r['machine']['cpus']} CPUs, jobs {r['jobs']})",
        "",
        "| stage | wall s | cpu s | peak MB (largest process) | peak MB (all processes, RSS) "
        "| peak MB (all processes, PSS) | note |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    notes = {
        "ingest-txt": lambda s: f"{s['letters']:,} letters, {s['per_s']:.0f}/s",
        "ingest-pdf": lambda s: f"{s['letters']:,} letters, {s['per_s']:.0f}/s",
        "build": lambda s: (
            f"{ex['site']['files']:,} files, {ex['site']['mb']:.0f} MB" if "site" in ex else ""
        ),
        "naive": lambda s: (
            f"reference (a): {ex['naive']['pages']:,} pages in the nav" if "naive" in ex else ""
        ),
        "fts5-index": lambda s: "reference (b)",
        "floor-copy": lambda s: "reference (c): copying the built site",
        "build-shards": lambda s: (
            f"{len(ex['shards']['shards'])} shards in parallel" if "shards" in ex else ""
        ),
    }
    for name, s in st.items():
        note = notes.get(name, lambda s: "")(s)
        tree = f"{s['tree_peak_mb']:.0f}" if "tree_peak_mb" in s else "–"
        pss = f"{s['tree_pss_mb']:.0f}" if s.get("tree_pss_mb") else "–"
        row = [name, f"{s['seconds']:.1f}", f"{s['cpu_s']:.1f}", f"{s['peak_mb']:.0f}", tree, pss, note]
        lines.append(f"| {' | '.join(row)} |")
    lines.append("")
    ratios = []
    if "build" in st and "naive" in st and "naive" in ex:
        ours = st["build"]["seconds"] / n
        naive = st["naive"]["seconds"] / ex["naive"]["pages"]
        ratios.append(
            f"naive MkDocs per page / ours per decision: {naive / ours:.1f}x the time "
            f"({naive * 1000:.1f} vs {ours * 1000:.1f} ms); naive peak {st['naive']['peak_mb']:.0f} MB "
            f"for {ex['naive']['pages']:,} pages"
        )
    if "index" in st and "fts5-index" in st:
        ratios.append(
            f"Whoosh / FTS5 index time: {st['index']['seconds'] / st['fts5-index']['seconds']:.1f}x"
        )
    if "search" in ex:
        w, f = ex["search"]["whoosh"], ex["search"]["fts5"]
        ratios.append(
            f"search p50/p95 ms: Whoosh {w[0]:.1f}/{w[1]:.1f}, FTS5 {f[0]:.1f}/{f[1]:.1f} "
            f"({w[1] / f[1]:.1f}x at p95)"
        )
    if "build" in st and "floor-copy" in st:
        ratios.append(
            "build / copying the site (the floor): "
            f"{st['build']['seconds'] / st['floor-copy']['seconds']:.0f}x"
        )
    if "build" in st and "build-shards" in st:
        ratios.append(
            f"sharded / single build: {st['build-shards']['seconds'] / st['build']['seconds']:.2f}x time, "
            f"{st['build-shards'].get('tree_peak_mb', 0) / st['build'].get('tree_peak_mb', 1):.2f}x "
            "peak memory (all processes)"
        )
    for key in ("download", "download-shards"):
        for q, v in ex.get(key, {}).items():
            ratios.append(
                f"{key}: search page `?{q}` from a cold cache: {v['kb']:.0f} KB in {v['requests']} requests"
            )
    lines += [f"- {x}" for x in ratios]
    t = targets(r)
    if t:
        lines += ["", "| target | measured | met |", "|---|---|---|"]
        for name, got, met in t:
            lines.append(
                f"| {name} | {got} | {'yes' if met else 'no' if met is False else 'n/a at this size'} |"
            )
    lines.append(
        f"\nLoad average at the end: {', '.join(f'{x:.1f}' for x in r['machine']['load_avg_at_end'])} "
        "(other work on the machine inflates wall times; cpu s is steadier)."
    )
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=10_000, help="synthetic decisions (default 10000)")
    ap.add_argument("--letters", action="store_true", help="also make letters (txt and PDF) and time ingest")
    ap.add_argument("--letter-count", type=int, default=0, help="letters per format (default: --count)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--repeat", type=int, default=5, help="runs of the judged queries")
    ap.add_argument(
        "--shards", action="store_true", help="also time the sharded build (imrkb build --shards)"
    )
    ap.add_argument("--skip", default="", help="comma-separated stages to leave out")
    ap.add_argument("--label", default="", help="added to the results' file names")
    ap.add_argument("--measure", help=argparse.SUPPRESS)
    ap.add_argument("--stage", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        cmd, log = json.loads(args.measure)
        print(json.dumps(_measure_here(cmd, Path(log))))
        return 0
    if args.stage:
        sys.path.insert(0, str(ROOT))
        return run_stage(args.stage)
    r = run(args)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = f"{r['date'][:10]}-{r['count']}" + (f"-{args.label}" if args.label else "")
    (RESULTS / f"{stem}.json").write_text(json.dumps(r, indent=2) + "\n", encoding="utf-8")
    md = markdown(r)
    (RESULTS / f"{stem}.md").write_text(md, encoding="utf-8")
    print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
