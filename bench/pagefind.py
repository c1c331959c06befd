#!/usr/bin/env python3
"""Re-indexing cost of the site's Pagefind index after one decision changes: reuse vs full.

    .venv/bin/python bench/pagefind.py SITE [--repeat 3] [--chunk N] [--multiply K] [--no-full]

SITE is a built site (``imrkb build``, with or without its index). The benchmark indexes it fully
(the previous build), then for each scenario makes the next build's folder (hard links to SITE's
pages, as an incremental build would leave the unchanged ones, the changed page a new file) and
indexes it three ways: ``full`` (no previous index), ``reuse`` (the previous index; every page read
and hashed) and ``reuse+written`` (the build names the pages it wrote, the rest are not read).
Scenarios: ``change`` (one page of the oldest chunk gets a new word), ``add`` (one new decision,
newer than all). ``--multiply K`` first makes a site of K times SITE's decision pages (each page
copied under K ids, a comment telling the copies apart), for 100,000 pages from a 10,000-decision
build; ``--no-full`` leaves out the full re-index (20 Pagefind runs at 100,000). Wall and CPU
seconds (this process and its Pagefind children), best of ``--repeat``, printed as JSON. Work
folders go to ``bench/work/pagefind/`` (ignored by git).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from clock import cpu_seconds  # noqa: E402

from imrkb.site.searchindex import CHUNK_SIZE, STATE, index_site  # noqa: E402

WORK = ROOT / "bench" / "work" / "pagefind"


def link_site(src: Path, dest: Path) -> None:
    """``dest``: the pages of ``src`` as hard links (its index left out)."""
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(
        src, dest, copy_function=os.link, ignore=shutil.ignore_patterns("pagefind", ".pagefind-*")
    )


def multiply(src: Path, dest: Path, k: int) -> None:
    """``dest``: only the decision pages of ``src``, each ``k`` times (``ID``, ``ID-x2``, ...)."""
    shutil.rmtree(dest, ignore_errors=True)
    for page in sorted((src / "decisions").glob("*/*/index.html")):
        text = page.read_text(encoding="utf-8")
        for n in range(1, k + 1):
            name = page.parent.name + (f"-x{n}" if n > 1 else "")
            out = dest / "decisions" / page.parent.parent.name / name / "index.html"
            out.parent.mkdir(parents=True)
            out.write_text(text.replace("</html>", f"<!-- copy {n} --></html>"), encoding="utf-8")


def change(site: Path, rel: str) -> None:
    page = site / rel
    text = page.read_text(encoding="utf-8").replace("</h1>", "</h1><p>Zyzzyvax</p>", 1)
    page.unlink()  # a new file: the previous build's page (a hard link) is never written
    page.write_text(text, encoding="utf-8")


def add(site: Path, like: str) -> str:
    src = site / like
    new = src.parent.parent / "CM99-9999999" / "index.html"
    new.parent.mkdir()
    text = re.sub(r'(data-pagefind-sort="date">)[^<]*<', r"\g<1>2099-01-01<", src.read_text(encoding="utf-8"))
    new.write_text(text, encoding="utf-8")
    return new.relative_to(site).as_posix()


def timed(fn: Any) -> tuple[float, float, Any]:
    t0, c0 = time.perf_counter(), cpu_seconds()
    out = fn()
    return time.perf_counter() - t0, cpu_seconds() - c0, out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("site", type=Path)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--chunk", type=int, default=CHUNK_SIZE)
    ap.add_argument("--multiply", type=int, default=1)
    ap.add_argument("--no-full", action="store_true")
    args = ap.parse_args()
    site = args.site.resolve()
    WORK.mkdir(parents=True, exist_ok=True)
    if args.multiply > 1:
        multiply(site, WORK / "multiplied", args.multiply)
        site = WORK / "multiplied"
    old = WORK / "old"
    link_site(site, old)
    wall, cpu_s, manifest = timed(lambda: index_site(old, chunk_size=args.chunk))
    pages = sum(c["pages"] for c in manifest)
    result: dict[str, Any] = {
        "pages": pages,
        "chunks": len(manifest),
        "chunk_size": args.chunk,
        "first_index": {"wall_s": round(wall, 2), "cpu_s": round(cpu_s, 2)},
        "state_kb": round((old / "pagefind" / STATE).stat().st_size / 1024),
    }
    state = json.loads((old / "pagefind" / STATE).read_text())
    oldest_page = state["chunks"][-1]["pages"][0][0]
    for scenario in ("change", "add"):
        best: dict[str, list[float]] = {}
        for _ in range(args.repeat):
            for how in ("reuse", "reuse+written") if args.no_full else ("full", "reuse", "reuse+written"):
                new = WORK / "new"
                link_site(old, new)
                if scenario == "change":
                    change(new, oldest_page)
                    written = {oldest_page}
                else:
                    written = {add(new, oldest_page)}
                kw: dict[str, Any] = {}
                if how != "full":
                    kw["previous"] = old
                if how == "reuse+written":
                    kw["written"] = written
                messages: list[str] = []
                w, c, _ = timed(
                    lambda kw=kw, new=new, m=messages: index_site(
                        new, chunk_size=args.chunk, say=m.append, **kw
                    )
                )
                prev = best.get(how)
                if prev is None or c < prev[1]:
                    best[how] = [round(w, 2), round(c, 2)]
                best[f"{how} says"] = [m for m in messages if "reused" in m]  # type: ignore[assignment]
        result[scenario] = {
            k: ({"wall_s": v[0], "cpu_s": v[1]} if "says" not in k else v) for k, v in best.items()
        }
        print(json.dumps({scenario: result[scenario]}), file=sys.stderr, flush=True)
    result["load_average"] = [round(x, 1) for x in os.getloadavg()]
    print(json.dumps(result, indent=1))
    shutil.rmtree(WORK / "new", ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
