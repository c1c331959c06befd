"""The built site in a real headless Chromium (Debian's, driven by Playwright): a reader's path through
search, filters, a decision and its guideline page; console errors; an axe-core accessibility scan;
screenshots at desktop and phone widths saved under build/screenshots/.

Needs /usr/bin/chromium (`apt-get install chromium`). Without it the module is skipped with one line,
unless IMRKB_REQUIRE_BROWSER=1 (set by .ci/run), where a missing browser fails.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator

import pytest
import yaml
from browser_env import CHROMIUM, require_browser
from site_corpus import XSS, run_imrkb, write_corpus

require_browser()
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright  # noqa: E402

from imrkb.serve import make_server  # noqa: E402
from imrkb.site.build import PROJECT_DIR  # noqa: E402

SHOTS = PROJECT_DIR / "build" / "screenshots"
SIZES = {"desktop": (1280, 900), "phone": (390, 844)}


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("browser-corpus")
    synth = run_imrkb(
        "synth", "--count", "60", "--seed", "11", "--format", "yaml", "--out", str(root / "decisions")
    )
    assert synth.returncode == 0, synth.stderr
    write_corpus(root)
    proc = run_imrkb("build", "--root", str(root))
    assert proc.returncode == 0, proc.stderr
    server = make_server(root / "site", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
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


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    pg = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []

    def on_console(m: ConsoleMessage) -> None:
        if m.type == "error":
            errors.append(m.text)

    pg.on("console", on_console)
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("dialog", lambda d: errors.append(f"dialog opened: {d.message}"))
    pg.errors = errors  # type: ignore[attr-defined]
    yield pg
    pg.close()
    assert not errors, f"console errors: {errors}"


def test_search_filter_open_decision_and_follow_a_citation(site_url: str, page: Page) -> None:
    page.goto(site_url)
    assert "California IMR decisions" in page.locator("h1").first.inner_text()

    page.fill("#imrkb-header-q", "Norco")
    page.press("#imrkb-header-q", "Enter")
    page.wait_for_url("**/search/?q=Norco*")
    page.wait_for_selector("#imrkb-results li")
    assert "found" in page.inner_text("#imrkb-status")
    before = page.locator("#imrkb-results li").count()

    page.select_option("select[name=outcome]", "overturned")
    # A locator wait, not wait_for_function: that evaluates a string in the page, which the CSP forbids.
    expect(page.locator("#imrkb-status")).to_contain_text("found")
    page.wait_for_selector("#imrkb-results li")
    results = page.locator("#imrkb-results li")
    assert 0 < results.count() <= before
    assert "outcome=overturned" in page.url
    metas = results.locator(".imrkb-result-meta").all_inner_texts()
    assert all("0 overturned" not in m for m in metas), metas

    page.locator("#imrkb-results a", has_text="SYN16-0000002").click()
    page.wait_for_url("**/decisions/2016/SYN16-0000002/")
    assert page.locator("h1").inner_text() == "SYN16-0000002"
    assert page.locator("#item-1 .imrkb-badge").inner_text() == "Overturned"

    page.locator("#item-1 .imrkb-cite-links a").first.click()
    page.wait_for_url(re.compile(r"/guidelines/mtus-cpmtg/opioids-criteria-for-use/(page/\d+/)?#g-p-76-80$"))
    row = page.locator("#g-p-76-80 tr[data-decision='SYN16-0000002']")
    assert row.count() == 1 and row.is_visible()


def test_filters_alone_list_decisions_newest_first(site_url: str, page: Page) -> None:
    page.goto(site_url + "search/?year=2017&sort=newest")
    page.wait_for_selector("#imrkb-results li")
    dates = [m.split(" · ")[0] for m in page.locator(".imrkb-result-meta").all_inner_texts()]
    assert dates and all(d.startswith("2017") for d in dates)
    assert dates == sorted(dates, reverse=True)


def test_hostile_record_text_stays_text_in_the_browser(site_url: str, page: Page) -> None:
    page.goto(site_url + "decisions/2014/SYN14-0000004/")
    assert XSS in page.locator("article.imrkb-decision").inner_text()
    assert page.locator("article.imrkb-decision img").count() == 0
    page.goto(site_url + "search/?q=onerror")
    page.wait_for_selector("#imrkb-results li")
    assert page.locator("#imrkb-results img, #imrkb-results script").count() == 0


AXE_PAGES = [
    "",
    "search/?q=lumbar",
    "decisions/2016/SYN16-0000002/",
    "guidelines/mtus-cpmtg/opioids-criteria-for-use/",
    "statistics/",
    "browse/",
]


@pytest.mark.parametrize("path", AXE_PAGES)
def test_no_serious_accessibility_violations(site_url: str, page: Page, path: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    page.goto(site_url + path)
    if path.startswith("search/"):
        page.wait_for_selector("#imrkb-results li")
    result = Axe().run(page)
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} x{len(v['nodes'])}"
        for v in result.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, bad


SHOT_PAGES = {
    "home": "",
    "decision": "decisions/2016/SYN16-0000002/",
    "guideline": "guidelines/mtus-cpmtg/opioids-criteria-for-use/",
    "search": "search/?q=lumbar",
}


@pytest.mark.parametrize("size", sorted(SIZES))
def test_screenshots(site_url: str, browser: Browser, size: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    w, h = SIZES[size]
    pg = browser.new_page(viewport={"width": w, "height": h})
    try:
        for name, path in SHOT_PAGES.items():
            pg.goto(site_url + path)
            if name == "search":
                pg.wait_for_selector("#imrkb-results li")
            out = SHOTS / f"{name}-{size}.png"
            pg.screenshot(path=str(out), full_page=True)
            assert out.stat().st_size > 10_000
            # Nothing may overflow the viewport sideways (tables scroll inside their own box).
            overflow = pg.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 1, f"{name} at {size} scrolls sideways by {overflow}px"
    finally:
        pg.close()


def test_record_downloads_linked_from_a_decision(site_url: str, page: Page) -> None:
    page.goto(site_url + "decisions/2016/SYN16-0000002/")
    for fmt in ("yaml", "json"):
        href = page.locator("#record ~ p a", has_text=fmt.upper()).get_attribute("href")
        resp = page.request.get(page.url + href)
        assert resp.ok
        data = yaml.safe_load(resp.text())  # JSON is YAML too
        assert data["id"] == "SYN16-0000002"
