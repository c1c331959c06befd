"""The search page's loader (docs/assets/imrkb-pagefind.js) in a real headless Chromium, against the
loader it replaced (tests/js/imrkb-pagefind-per-chunk.js: each chunk its own Pagefind module, every
chunk searched at once) on a site of several chunks: every search finds the same decisions in the same
order with the same excerpts, while the runtime is downloaded once and a filter-only search loads a
chunk only when its results are shown.

Skipped with one line without Chromium/Playwright (required when IMRKB_REQUIRE_BROWSER=1).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_env import CHROMIUM, require_browser
from site_corpus import run_imrkb

require_browser()
from playwright.sync_api import Browser, expect, sync_playwright  # noqa: E402

from imrkb.serve import make_server  # noqa: E402
from imrkb.site.searchindex import index_site  # noqa: E402

REFERENCE = Path(__file__).parent / "js" / "imrkb-pagefind-per-chunk.js"
CHUNK = 15

#: (term, filters, sort): words, words with filters, date orders, filters only (one and two), nothing.
SEARCHES: list[tuple[str | None, dict[str, str], dict[str, str]]] = [
    ("Norco", {}, {}),
    ("physical therapy", {}, {}),
    ('"physical therapy"', {}, {}),
    ("MRI", {"outcome": "overturned"}, {}),
    ("MRI", {}, {"date": "desc"}),
    ("lumbar", {}, {"date": "asc"}),
    ("therapy", {"year": "2016"}, {}),
    ("zzzz", {}, {}),
    (None, {"outcome": "upheld"}, {"date": "desc"}),
    (None, {"outcome": "upheld"}, {"date": "asc"}),
    (None, {"year": "2015"}, {"date": "desc"}),
    (None, {"year": "2016", "outcome": "upheld"}, {"date": "asc"}),
    (None, {"outcome": "no such outcome"}, {"date": "desc"}),
]

#: Every result of one search: its URL, date and excerpt (each result's data() loaded), in order.
RUN = """async ([loader, term, filters, sort]) => {
  const { openIndex } = await import(loader);
  const pagefind = await openIndex(new URL("/", location.href), { excerptLength: 40 });
  const res = await pagefind.search(term, { filters, sort });
  const data = await Promise.all(res.results.map((r) => r.data()));
  return data.map((d) => [d.url, d.meta.date, d.excerpt]);
}"""

#: The first page of a filter-only search, as the search page shows it: the count and 20 results.
FIRST_PAGE = """async ([loader, filters]) => {
  const { openIndex } = await import(loader);
  const pagefind = await openIndex(new URL("/", location.href), { excerptLength: 40 });
  const res = await pagefind.search(null, { filters, sort: { date: "desc" } });
  const data = await Promise.all(res.results.slice(0, 20).map((r) => r.data()));
  return [res.results.length, data.map((d) => d.url)];
}"""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    root = tmp_path_factory.mktemp("loader-browser")
    proc = run_imrkb(
        "synth", "--count", "80", "--seed", "11", "--format", "yaml", "--out", str(root / "decisions")
    )
    assert proc.returncode == 0, proc.stderr
    proc = run_imrkb("build", "--root", str(root))
    assert proc.returncode == 0, proc.stderr
    site = (root / "site").resolve()
    index_site(site, chunk_size=CHUNK)
    shutil.copyfile(REFERENCE, site / "assets" / REFERENCE.name)
    server = make_server(site, 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", site
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM)
        try:
            yield b
        finally:
            b.close()


def run(browser: Browser, base: str, script: str, args: list[Any]) -> tuple[Any, list[str]]:
    """``script`` evaluated on the site's home page in a fresh context (an empty cache, no loader
    loaded before): its value and the Pagefind files it fetched (paths under ``pagefind/``)."""
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    fetched: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "request",
        lambda r: fetched.append(r.url.split("/pagefind/", 1)[1]) if "/pagefind/" in r.url else None,
    )
    try:
        page.goto(base)
        value = page.evaluate(script, args)
        assert not errors, errors
        return value, fetched
    finally:
        context.close()


def test_one_runtime_finds_what_a_module_per_chunk_finds(served: tuple[str, Path], browser: Browser) -> None:
    base, site = served
    chunks = json.loads((site / "pagefind" / "chunks.json").read_text())["chunks"]
    assert len(chunks) == 6 and all(c.get("every") for c in chunks)
    counts: dict[str, int] = {}
    for term, filters, sort in SEARCHES:
        args = [term, filters, sort]
        old, _ = run(browser, base, RUN, ["/assets/imrkb-pagefind-per-chunk.js", *args])
        new, fetched = run(browser, base, RUN, ["/assets/imrkb-pagefind.js", *args])
        assert new == old, (term, filters, sort)
        counts[f"{term} {filters} {sort}"] = len(new)
        scripts = [f for f in fetched if f.endswith(("pagefind.js", "pagefind-worker.js"))]
        wasm = [f for f in fetched if ".pagefind" in f and "/wasm." in f]
        assert len(scripts) <= 1 and len(wasm) <= 1, (args, fetched)  # one runtime, no worker
    assert sum(n > 0 for n in counts.values()) >= len(SEARCHES) - 2, counts  # all but the two for nothing
    # not vacuous: a filter-only list spans several chunks, newest first
    old, _ = run(
        browser, base, RUN, ["/assets/imrkb-pagefind.js", None, {"outcome": "upheld"}, {"date": "desc"}]
    )
    assert len(old) > 2 * CHUNK
    dates = [d for _, d, _ in old]
    assert dates == sorted(dates, reverse=True)


def test_filter_only_search_loads_only_the_chunks_it_shows(
    served: tuple[str, Path], browser: Browser
) -> None:
    base, site = served
    chunks = json.loads((site / "pagefind" / "chunks.json").read_text())["chunks"]
    filters = {"outcome": "upheld"}
    (n_old, first_old), fetched_old = run(
        browser, base, FIRST_PAGE, ["/assets/imrkb-pagefind-per-chunk.js", filters]
    )
    (n_new, first_new), fetched_new = run(browser, base, FIRST_PAGE, ["/assets/imrkb-pagefind.js", filters])
    assert (n_new, first_new) == (n_old, first_old)
    assert n_new == sum(c["filters"]["outcome"].get("upheld", 0) for c in chunks) > 20
    # the first 20 of a newest-first list come from the newest chunks: only their metadata is loaded
    needed, total = [], 0
    for c in (c for c in chunks if c["filters"]["outcome"].get("upheld")):
        if total >= 20:
            break
        needed.append(c["path"])
        total += c["filters"]["outcome"].get("upheld", 0)
    metas_new = sorted(f.split("pagefind.")[0] for f in fetched_new if f.endswith(".pf_meta"))
    metas_old = sorted(f.split("pagefind.")[0] for f in fetched_old if f.endswith(".pf_meta"))
    assert metas_new == sorted(needed) and len(needed) < len(chunks)
    assert len(metas_old) == len(chunks)


def test_search_page_shows_every_result_of_a_lazy_list_page_by_page(
    served: tuple[str, Path], browser: Browser
) -> None:
    base, _ = served
    filters, sort = {"outcome": "upheld"}, {"date": "asc"}
    old, _ = run(browser, base, RUN, ["/assets/imrkb-pagefind-per-chunk.js", None, filters, sort])
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"{base}search/?outcome=upheld&sort=oldest")
        expect(page.locator("#imrkb-status")).to_contain_text(f"{len(old)} decisions found")
        more = page.locator("#imrkb-more")
        for shown in range(20, len(old), 20):  # each "more" shows the next 20, across chunks
            expect(page.locator("#imrkb-results li")).to_have_count(shown)
            more.click()
        expect(page.locator("#imrkb-results li")).to_have_count(len(old))
        expect(more).to_be_hidden()
        hrefs = page.locator("#imrkb-results li > a").evaluate_all(
            "(links) => links.map((a) => a.getAttribute('href'))"
        )
        assert hrefs == [url for url, _, _ in old]
        assert not errors, errors
    finally:
        context.close()


def raw_copy(site: Path, dest: Path) -> Path:
    """``site`` (hard links) with each index chunk as Pagefind itself writes it: a plain Pagefind run
    over the chunk's pages (from ``indexed.json``), its fragment names not shortened."""
    shutil.copytree(site, dest, copy_function=os.link, ignore=shutil.ignore_patterns("pagefind"))
    (dest / "pagefind").mkdir()
    shutil.copyfile(site / "pagefind" / "chunks.json", dest / "pagefind" / "chunks.json")
    state = json.loads((site / "pagefind" / "indexed.json").read_text())
    for n, chunk in enumerate(state["chunks"]):
        view = dest.parent / f"view-{n}"
        for rel, *_ in chunk["pages"]:
            (view / rel).parent.mkdir(parents=True, exist_ok=True)
            os.link(site / rel, view / rel)
        out = dest / "pagefind" / chunk["path"]
        cmd = [sys.executable, "-m", "pagefind", "--site", str(view), "--output-path", str(out), "--silent"]
        subprocess.run(cmd, check=True, capture_output=True)
    return dest


def test_short_fragment_names_find_what_pagefind_names_find(
    served: tuple[str, Path], browser: Browser, tmp_path: Path
) -> None:
    base, site = served
    raw = raw_copy(site, tmp_path / "raw")
    meta = next((raw / "pagefind").glob("part-*/*.pf_meta"))
    assert next((meta.parent / "fragment").iterdir()).name.startswith("en_")  # Pagefind's own names
    short = next((site / "pagefind").glob("part-*/fragment/*"))
    assert not short.name.startswith("en_")
    server = make_server(raw, 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        raw_base = f"http://127.0.0.1:{server.server_address[1]}/"
        for term, filters, sort in SEARCHES:
            args = ["/assets/imrkb-pagefind.js", term, filters, sort]
            assert run(browser, base, RUN, args)[0] == run(browser, raw_base, RUN, args)[0], args
    finally:
        server.shutdown()
        server.server_close()
