"""The search page over chunked Pagefind indexes, in a real headless Chromium: the same searches find
the same decisions whether the site has one index or many chunks; date order holds across chunks.

Skipped with one line without Chromium/Playwright (required when IMRKB_REQUIRE_BROWSER=1).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_env import CHROMIUM, require_browser
from site_corpus import run_imrkb

require_browser()
from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402

from imrkb.serve import make_server  # noqa: E402
from imrkb.site.searchindex import index_site  # noqa: E402

SEARCHES = ["q=Norco", "q=MRI&outcome=overturned", "q=physical+therapy&year=2016", "year=2015&sort=newest"]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    root = tmp_path_factory.mktemp("chunk-browser")
    proc = run_imrkb(
        "synth", "--count", "80", "--seed", "11", "--format", "yaml", "--out", str(root / "decisions")
    )
    assert proc.returncode == 0, proc.stderr
    proc = run_imrkb("build", "--root", str(root))
    assert proc.returncode == 0, proc.stderr
    server = make_server(root / "site", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", (root / "site").resolve()
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


def search_all(page: Page) -> None:
    """When a word search read only the newest chunks, have it search the older ones too."""
    if page.locator("#imrkb-older").is_visible():
        page.click("#imrkb-older")
        expect(page.locator("#imrkb-status")).not_to_contain_text("not searched yet", timeout=20_000)
        expect(page.locator("#imrkb-status")).to_contain_text("found", timeout=20_000)
        assert page.locator("#imrkb-older").is_hidden()


def search(browser: Browser, url: str) -> tuple[int, list[str]]:
    """Open the search page at ``url``: the number found and the dates of the first results shown."""
    context = browser.new_context()  # a fresh cache: the index changes between searches
    page: Page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(url)
        expect(page.locator("#imrkb-status")).to_contain_text("found", timeout=20_000)
        search_all(page)
        status = page.inner_text("#imrkb-status")
        m = re.match(r"(\d+) decisions? found", status)
        assert m, status
        n = int(m.group(1))
        if n:
            page.wait_for_selector("#imrkb-results li")
        metas = page.locator("#imrkb-results .imrkb-result-meta").all_inner_texts()
        dates = [re.search(r"\d{4}-\d\d-\d\d|undated", t).group(0) for t in metas]  # type: ignore[union-attr]
        assert not errors, errors
        return n, dates
    finally:
        context.close()


def test_chunked_search_finds_what_one_index_finds(served: tuple[str, Path], browser: Browser) -> None:
    base, site = served
    single = {q: search(browser, f"{base}search/?{q}") for q in SEARCHES}
    assert all(n > 0 for n, _ in single.values()), single
    manifest = index_site(site, chunk_size=15)
    assert len(manifest) == 6
    chunked = {q: search(browser, f"{base}search/?{q}") for q in SEARCHES}
    for q in SEARCHES:
        assert chunked[q][0] == single[q][0], q
    # newest first across chunks: the first page of a date-ordered search is in date order
    dates = chunked["year=2015&sort=newest"][1]
    assert dates == sorted(dates, reverse=True) and len(dates) == min(20, chunked["year=2015&sort=newest"][0])
    assert dates == single["year=2015&sort=newest"][1]


def test_sharded_site_search_finds_what_one_index_finds(served: tuple[str, Path], browser: Browser) -> None:
    base, site = served
    root = site.parent.parent
    single = {q: search(browser, f"{base}search/?{q}")[0] for q in SEARCHES}
    proc = run_imrkb("build", "--root", str(root), "--shards", "--out", str(root / "sharded"))
    assert proc.returncode == 0, proc.stderr
    server = make_server(root / "sharded", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        for q in SEARCHES:
            assert search(browser, f"{url}search/?{q}")[0] == single[q], q
        page = browser.new_page()
        page.goto(f"{url}search/?q=Norco")
        page.locator("#imrkb-results a").first.click()
        page.wait_for_url(re.compile(r".*/shards/\d{4}/decisions/\d{4}/[A-Z0-9-]+/$"))
        expect(page.locator("#item-1")).to_be_visible()
        page.close()
    finally:
        server.shutdown()
        server.server_close()


FILTER_ONLY = ["year=2015&sort=newest", "outcome=overturned", "year=2016&outcome=upheld&sort=oldest"]


def shown(browser: Browser, url: str) -> tuple[str, list[tuple[str, str, str]], int]:
    """The status, the results shown (link, meta line, excerpt HTML) and the bytes of Pagefind files
    downloaded, for the search page at ``url`` in a fresh browser context."""
    context = browser.new_context()
    page: Page = context.new_page()
    got: list = []
    page.on("response", lambda r: got.append(r))
    try:
        page.goto(url)
        expect(page.locator("#imrkb-status")).to_contain_text("found", timeout=20_000)
        search_all(page)
        page.wait_for_load_state("networkidle")
        items = [
            (
                li.locator("a").first.get_attribute("href") or "",
                li.locator(".imrkb-result-meta").inner_text(),
                li.locator("p").inner_html(),  # with the <mark> highlights
            )
            for li in page.locator("#imrkb-results li").all()
        ]
        size = sum(len(r.body()) for r in got if r.ok and "/pagefind/" in r.url)
        return page.inner_text("#imrkb-status"), items, size
    finally:
        context.close()


def test_filter_only_search_by_the_every_word_shows_what_a_wordless_search_shows(
    served: tuple[str, Path], browser: Browser
) -> None:
    base, site = served
    index_site(site, chunk_size=15)
    manifest_file = site / "pagefind" / "chunks.json"
    manifest = json.loads(manifest_file.read_text())
    assert all(c.get("every") for c in manifest["chunks"])
    fast = {q: shown(browser, f"{base}search/?{q}") for q in FILTER_ONLY}
    for c in manifest["chunks"]:
        del c["every"]
    manifest_file.write_text(json.dumps(manifest))  # what a search without the word does
    slow = {q: shown(browser, f"{base}search/?{q}") for q in FILTER_ONLY}
    for q in FILTER_ONLY:
        assert fast[q][1], q
        assert fast[q][:2] == slow[q][:2], q  # same count, same decisions in the same order, same excerpts
    # (the bytes each downloads are measured by bench/run.py's download stage: the saving needs big chunks)


def test_reindex_with_reuse_searches_like_a_full_index(served: tuple[str, Path], browser: Browser) -> None:
    base, site = served
    index_site(site, chunk_size=15)
    page = sorted((site / "decisions").glob("*/*/index.html"))[30]
    text = page.read_text(encoding="utf-8")
    page.unlink()
    page.write_text(text.replace("</h1>", "</h1><p>Zyzzyvax</p>", 1), encoding="utf-8")
    try:
        messages: list[str] = []
        index_site(site, previous=site, chunk_size=15, say=messages.append)
        assert any("5 reused, 1 to index" in m for m in messages), messages
        queries = [*SEARCHES, "q=Zyzzyvax"]
        reused = {q: shown(browser, f"{base}search/?{q}")[:2] for q in queries}
        assert reused["q=Zyzzyvax"][0].startswith("1 decision found")
        index_site(site, chunk_size=15)  # a full index of the same pages
        full = {q: shown(browser, f"{base}search/?{q}")[:2] for q in queries}
        assert reused == full
    finally:
        page.unlink()
        page.write_text(text, encoding="utf-8")


def test_a_word_search_reads_the_newest_chunks_first(served: tuple[str, Path], browser: Browser) -> None:
    """A search with words reads the newest chunks until it has a page of results (20), says which
    dates it searched, and "Search all decisions" finds what one index finds; an oldest-first order starts from the oldest."""
    base, site = served
    index_site(site)
    single = search(browser, f"{base}search/?q=decided")[0]  # a word on every decision page
    manifest = index_site(site, chunk_size=15)
    assert len(manifest) == 6
    chunks = [c["path"] for c in manifest]
    context = browser.new_context()
    page = context.new_page()
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url))

    def chunks_read() -> set[str]:  # chunks with an index file requested (every chunk's pagefind.js is one module)
        return {c for c in chunks if any(f"/pagefind/{c}" in u and "pagefind.js" not in u for u in asked)}

    try:
        page.goto(f"{base}search/?q=decided")
        status = page.locator("#imrkb-status")
        expect(status).to_contain_text("not searched yet", timeout=20_000)
        # two chunks of 15 pages give the first 20 results; the four older ones are not read
        read = chunks_read()
        assert read == set(chunks[:2]), read
        newest, oldest = manifest[0]["newest"], manifest[1]["oldest"]
        assert status.inner_text().startswith("30 decisions found for “decided”")
        assert f"(dated {oldest} to {newest})" in status.inner_text()
        expect(page.locator("#imrkb-results li")).to_have_count(20)
        page.select_option("select[name=sort]", "oldest")  # a changed choice searches anew, not all
        expect(status).to_contain_text("among the oldest decisions", timeout=20_000)
        assert f"(dated {manifest[-1]['oldest']} to {manifest[-2]['newest']})" in status.inner_text()
        assert "newer ones not searched yet" in status.inner_text()
        page.select_option("select[name=sort]", "")
        expect(status).to_contain_text("among the newest decisions", timeout=20_000)
        page.click("#imrkb-older")
        expect(status).to_have_text(f"{single} decisions found for “decided”.", timeout=20_000)
        assert page.locator("#imrkb-older").is_hidden()
        read = chunks_read()
        assert read == set(chunks)
    finally:
        context.close()
        index_site(site)


def test_a_search_with_two_filters_reads_the_newest_chunks_first(served: tuple[str, Path], browser: Browser) -> None:
    """Two filters and no words: the manifest cannot count the results, so the search reads the newest
    chunks as a word search does, and "Search all decisions" finds what one index finds."""
    base, site = served
    manifest = index_site(site, chunk_size=15)
    chunks = [c["path"] for c in manifest]
    everywhere = [
        (key, value)
        for key, counts in manifest[0]["filters"].items()
        for value in counts
        if key not in ("outcome", "year") and all(c["filters"].get(key, {}).get(value) for c in manifest)
    ]
    assert all(c["filters"]["outcome"].get("upheld") for c in manifest)
    assert everywhere, "no filter value in every chunk"
    key, value = everywhere[0]
    query = f"outcome=upheld&{key}={value.replace(' ', '+')}"
    index_site(site)
    single = search(browser, f"{base}search/?{query}")[0]
    index_site(site, chunk_size=15)
    context = browser.new_context()
    page = context.new_page()
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url))
    try:
        page.goto(f"{base}search/?{query}")
        status = page.locator("#imrkb-status")
        expect(status).to_contain_text("found", timeout=20_000)
        page.wait_for_load_state("networkidle")
        read = {c for c in chunks if any(f"/pagefind/{c}" in u and "pagefind.js" not in u for u in asked)}
        # every chunk has results, and at most 3 of the 6 are read before the button
        assert "not searched yet" in status.inner_text()
        assert read and read <= set(chunks[:3]), read
        page.click("#imrkb-older")
        expect(status).to_have_text(f"{single} decision{'' if single == 1 else 's'} found.", timeout=20_000)
    finally:
        context.close()
        index_site(site)
