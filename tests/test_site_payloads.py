"""Hostile text stays text: every payload of tests/payloads.yaml is placed in every text field of one
record, the site is built with the real `imrkb build`, and then

* every built page is parsed: no markup, link scheme or handler from a record, a CSP on every page;
* the feed, sitemap, record YAML/JSON and bulk JSONL/CSV give every payload back as written;
* every built page is opened in headless Chromium, once with the Content-Security-Policy bypassed (so
  escaping alone is proven) and once enforced (so the policy breaks nothing): no script ran (a payload
  that ran sets ``window.__pwned`` or opens a dialog), no request left the site, no console error; and
  each decision page shows its payload, character for character, in its text.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from browser_env import CHROMIUM, require_browser
from site_corpus import corpus, run_imrkb, write_corpus

from imrkb.records import atomic_write_text, to_yaml
from imrkb.site.csp import POLICY
from imrkb.site.guides import UNRESOLVED_URL
from imrkb.site.html import close_bidi, esc, slug
from imrkb.site.render import specialty_url
from imrkb.site.rows import short

PAYLOADS: list[dict] = yaml.safe_load(
    (Path(__file__).with_name("payloads.yaml")).read_text(encoding="utf-8")
)["payloads"]


def text_of(p: dict) -> str:
    return p["text"] * int(p.get("repeat", 1))


def ident(k: int) -> str:
    return f"SYN19-00070{k:02d}"


def hostile_record(k: int, text: str) -> dict:
    """A record carrying ``text`` in every text field."""
    date = dt.date(2019, 1 + k % 12, 1 + k % 28)
    return {
        "schema": 1,
        "id": ident(k),
        "case_number": text,
        "layout": text,
        "priority": "standard",
        "dates": {"decision": date, "assigned": date - dt.timedelta(days=20)},
        "reviewer": {"licensed_in": [text], "specialties": [text]},
        "patient": {"age": 44, "sex": "female"},
        "summary": text,
        "issues": [
            {
                "item": text,
                "outcome": "overturned" if k % 2 else "upheld",
                "original_request": text,
                "claims_administrator_citations": [
                    {"guideline": text, "chapter": text, "topics": [text], "pages": [], "text": text},
                    {"guideline": "other", "topics": [], "pages": [], "text": text},
                ],
                "reviewer_citations": [
                    {"guideline": "odg", "chapter": "low-back", "topics": [text], "pages": [], "text": text},
                    {"guideline": "mtus-cpmtg", "topics": [text], "pages": [[76, 80]], "text": text},
                ],
                "rationale": text,
            }
        ],
        "source": {"file": text, "sha256": "0" * 64, "pages": 3},
        "synthetic": True,
        "warnings": [text],
        "pii_override": {
            "reason": f"Synthetic hostile-text test record, no personal data: {text}",
            "by": text,
        },
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("payloads")
    write_corpus(root, corpus()[:4])
    records = {}
    for k, p in enumerate(PAYLOADS):
        rec = hostile_record(k, text_of(p))
        atomic_write_text(root / "decisions" / "2019" / f"{rec['id']}.yaml", to_yaml(rec))
        records[rec["id"]] = (p["name"], text_of(p))
    proc = run_imrkb("build", "--root", str(root))
    assert proc.returncode == 0, proc.stderr
    out = root / "site"
    return {"root": root, "out": out, "records": records, "html": sorted(out.rglob("*.html"))}


# --------------------------------------------------------------------------- unit checks


@pytest.mark.parametrize(
    "raw, closed",
    [
        ("plain", "plain"),
        ("a\u202eb", "a\u202eb\u202c"),
        ("a\u202eb\u202cc", "a\u202eb\u202cc"),
        ("\u2067x\u202by", "\u2067x\u202by\u202c\u2069"),
        ("\u2067x\u202by\u2069z", "\u2067x\u202by\u2069z"),
        ("\u202c\u2069stray closers", "\u202c\u2069stray closers"),
    ],
)
def test_bidi_controls_are_closed(raw: str, closed: str) -> None:
    assert close_bidi(raw) == closed
    assert esc(raw) == closed


def test_long_slugs_stay_file_names_and_distinct() -> None:
    a, b = slug("a" * 5000), slug("a" * 5001)
    assert len(a) <= 80 and len(b) <= 80 and a != b
    assert slug("Physical Medicine & Rehabilitation") == "physical-medicine-and-rehabilitation"


# --------------------------------------------------------------------------- the built files

ALLOWED_SCRIPT_SRC = re.compile(r"^(/|(\.\./)*)(assets/|pagefind/)")
SAFE_SCHEMES = ("", "http", "https")


class _Scan(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.csp: list[str] = []
        self.first_head_tags: list[str] = []
        self._in_head = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "head":
            self._in_head = True
        elif self._in_head and len(self.first_head_tags) < 2:
            self.first_head_tags.append(
                tag + ("[csp]" if a.get("http-equiv") == "Content-Security-Policy" else "")
            )
        if a.get("http-equiv", "").lower() == "content-security-policy":
            self.csp.append(a.get("content", ""))
        elif a.get("http-equiv"):
            self.problems.append(f"<meta http-equiv={a['http-equiv']}>")
        for name in a:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>")
        if tag in (
            "iframe",
            "frame",
            "object",
            "embed",
            "applet",
            "base",
            "img",
            "style",
            "textarea",
            "details",
        ):
            self.problems.append(f"<{tag}>")
        if tag == "script" and "src" in a and not ALLOWED_SCRIPT_SRC.match(a["src"]):
            self.problems.append(f"<script src={a['src'][:60]}>")
        for key in ("href", "src", "action", "formaction", "data", "xlink:href"):
            if key in a and urlsplit(a[key].strip()).scheme.lower() not in SAFE_SCHEMES:
                self.problems.append(f"<{tag} {key}={a[key][:60]}>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "head":
            self._in_head = False


def test_no_markup_or_link_from_a_record_reaches_a_page(built: dict) -> None:
    expected_csp = None
    bad: dict[str, list[str]] = {}
    for path in built["html"]:
        scan = _Scan()
        scan.feed(path.read_text(encoding="utf-8"))
        rel = path.relative_to(built["out"]).as_posix()
        if scan.problems:
            bad[rel] = scan.problems[:5]
        assert len(scan.csp) == 1, f"{rel}: {len(scan.csp)} CSP metas"
        assert scan.first_head_tags == ["meta", "meta[csp]"], f"{rel}: CSP must follow <meta charset>"
        policy = re.sub(r"'sha256-[^']+'\s*", "", scan.csp[0])
        expected_csp = expected_csp or policy
        assert policy == expected_csp
    assert not bad, f"{len(bad)} pages carry markup from records, e.g. {list(bad.items())[:3]}"
    directives = dict(d.strip().split(" ", 1) for d in expected_csp.split(";"))  # type: ignore[union-attr]
    assert directives == {k: v for k, v in POLICY}
    assert "'unsafe-inline'" not in expected_csp and "'unsafe-eval'" not in expected_csp  # type: ignore[operator]
    print(f"\n{len(built['html'])} built pages scanned for markup from {len(PAYLOADS)} payloads")


def test_records_downloads_and_feed_give_the_text_back(built: dict) -> None:
    out = built["out"]
    jsonl = {}
    for line in (out / "data" / "decisions.jsonl").read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        jsonl[rec["id"]] = rec
    rows = {
        r["id"]: r
        for r in csv.DictReader(io.StringIO((out / "data" / "decisions.csv").read_text(encoding="utf-8")))
    }
    ns = {"a": "http://www.w3.org/2005/Atom"}
    feed = ET.parse(out / "feed.xml").getroot()
    titles = [e.findtext("a:title", namespaces=ns) for e in feed.findall("a:entry", ns)]
    locs = [u.text or "" for u in ET.parse(out / "sitemap.xml").getroot().iter() if u.tag.endswith("loc")]
    assert all(re.fullmatch(r"http://127\.0\.0\.1:8000/[a-z0-9/._-]*", u, re.IGNORECASE) for u in locs)
    for rid, (name, text) in built["records"].items():
        base = out / "decisions" / "2019" / rid
        for rec in (
            yaml.safe_load((out / "decisions" / "2019" / f"{rid}.yaml").read_text(encoding="utf-8")),
            json.loads((out / "decisions" / "2019" / f"{rid}.json").read_text(encoding="utf-8")),
            jsonl[rid],
        ):
            issue = rec["issues"][0]
            got = (rec["summary"], issue["item"], issue["rationale"], rec["reviewer"]["specialties"][0])
            assert got == (text, text, text, text), name
            assert issue["claims_administrator_citations"][0]["guideline"] == text, name
        cell = ("'" + text) if text[:1] in "=+-@\t\r" else text
        assert (rows[rid]["item"], rows[rid]["rationale"], rows[rid]["reviewer_specialties"]) == (cell,) * 3
        assert f"{rid}: {short(text, 120)}" in titles, name
        assert (base / "index.html").is_file()
    assert not Path("/tmp/imrkb-pwned").exists()


# --------------------------------------------------------------------------- in the browser


HOOKS = """
window.__dialogs = [];
for (const name of ["alert", "confirm", "prompt", "print"]) {
  window[name] = (...args) => { window.__dialogs.push(name + ":" + String(args[0])); };
}
"""

CHECK = """() => ({
  pwned: window.__pwned === undefined ? null : String(window.__pwned),
  dialogs: window.__dialogs || [],
  handlers: [...document.querySelectorAll('*')].flatMap(e => [...e.attributes].filter(a => a.name.startsWith('on')).map(a => e.tagName + ' ' + a.name)),
  jsLinks: [...document.querySelectorAll('[href],[src]')].map(e => e.getAttribute('href') || e.getAttribute('src')).filter(u => /^\\s*(javascript|data|vbscript):/i.test(u)),
  scripts: [...document.scripts].filter(s => !s.src && s.type !== 'application/json').length,
})"""


@pytest.fixture(scope="module")
def served(built: dict) -> Iterator[str]:
    from imrkb.serve import make_server

    server = make_server(built["out"], 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    require_browser()  # skips, or fails under IMRKB_REQUIRE_BROWSER=1, without Playwright and Chromium
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM)
        try:
            yield b
        finally:
            b.close()


def _visit_all(chromium, served: str, built: dict, bypass_csp: bool) -> int:  # type: ignore[no-untyped-def]
    ctx = chromium.new_context(bypass_csp=bypass_csp, viewport={"width": 1280, "height": 900})
    ctx.add_init_script(HOOKS)
    page = ctx.new_page()
    trouble: list[str] = []
    host = urlsplit(served).netloc
    page.on("console", lambda m: trouble.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: trouble.append(f"page error: {e}"))
    page.on("dialog", lambda d: (trouble.append(f"dialog: {d.message}"), d.dismiss()))
    page.on(
        "request", lambda r: None if urlsplit(r.url).netloc == host else trouble.append(f"request {r.url}")
    )
    checked = 0
    texts = {f"decisions/2019/{rid}/index.html": t for rid, (_, t) in built["records"].items()}
    try:
        for path in built["html"]:
            rel = path.relative_to(built["out"]).as_posix()
            page.goto(served + rel.removesuffix("index.html"))
            page.wait_for_load_state("load")
            page.hover("body")
            state = page.evaluate(CHECK)
            assert state["pwned"] is None and not state["dialogs"], (rel, state)
            assert not state["handlers"] and not state["jsLinks"], (rel, state)
            assert state["scripts"] <= 2, (rel, state)  # the theme's own two, allowed by hash
            if rel in texts:
                shown = page.locator("article.imrkb-decision").text_content() or ""
                assert texts[rel] in shown, f"{rel}: the payload does not read as written"
            assert not trouble, (rel, trouble[:5])
            checked += 1
        # Search: excerpts and filter values built from the payloads, as text.
        page.goto(served + "search/?q=click")
        page.wait_for_selector("#imrkb-results li")
        options = page.locator("select[name=specialty] option").all_text_contents()
        state = page.evaluate(CHECK)
        assert state["pwned"] is None and not state["dialogs"] and not state["handlers"], state
        assert page.locator("#imrkb-results img, #imrkb-results script, #imrkb-results iframe").count() == 0
        for name in ("script-tag", "img-onerror", "jinja-expression", "markdown-link"):
            text = next(text_of(p) for p in PAYLOADS if p["name"] == name)
            assert any(o.startswith(close_bidi(text)) for o in options), f"filter value {name} not as written"
        checked += 1
        assert not trouble, trouble[:5]
    finally:
        ctx.close()
    return checked


def test_no_payload_runs_and_each_reads_as_written_in_chromium(chromium, served: str, built: dict) -> None:  # type: ignore[no-untyped-def]
    escaped_only = _visit_all(chromium, served, built, bypass_csp=True)
    with_csp = _visit_all(chromium, served, built, bypass_csp=False)
    print(
        f"\n{len(PAYLOADS)} payloads x every text field; pages checked in Chromium: {escaped_only} with the "
        f"CSP bypassed + {with_csp} with it enforced"
    )


def test_the_policy_is_enforced(chromium, served: str, built: dict) -> None:  # type: ignore[no-untyped-def]
    page = chromium.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        page.goto(served + f"decisions/2019/{ident(0)}/")
        injected = page.evaluate(
            """() => { const s = document.createElement('script'); s.textContent = 'window.__csp = 1';
                       document.body.append(s); return window.__csp === undefined; }"""
        )
        assert injected, "an injected inline script ran: the policy is not in force"
        assert any("Content Security Policy" in e for e in errors), errors
    finally:
        page.close()


def test_the_checks_catch_a_payload_that_runs(chromium) -> None:  # type: ignore[no-untyped-def]
    """Control: the same hooks and checks flag raw payloads, so a clean result above means something."""
    ctx = chromium.new_context(bypass_csp=True)
    ctx.add_init_script(HOOKS)
    page = ctx.new_page()
    try:
        raw = next(text_of(p) for p in PAYLOADS if p["name"] == "img-onerror")
        page.set_content(f"<html><body>{raw}<script>alert('x')</script></body></html>")
        page.wait_for_function("window.__pwned !== undefined")
        state = page.evaluate(CHECK)
        assert state["pwned"] == "img-onerror" and state["dialogs"] and state["handlers"]
    finally:
        ctx.close()


def test_very_long_text_does_not_widen_the_page(chromium, served: str, built: dict) -> None:  # type: ignore[no-untyped-def]
    page = chromium.new_page(viewport={"width": 390, "height": 844})
    try:
        for k, p in enumerate(PAYLOADS):
            if not p["name"].startswith("very-long"):
                continue
            for url in (
                f"decisions/2019/{ident(k)}/",
                specialty_url(text_of(p)),
                "browse/year/2019/",
                UNRESOLVED_URL,
            ):
                page.goto(served + url)
                overflow = page.evaluate(
                    "document.documentElement.scrollWidth - document.documentElement.clientWidth"
                )
                assert overflow <= 1, f"{p['name']} on {url}: the page scrolls sideways by {overflow}px"
    finally:
        page.close()


def test_only_the_theme_scripts_are_allowed_by_hash() -> None:
    from imrkb.site.csp import add_policy, script_hashes

    theme = "<script>var theme=1</script>"
    content = "<article><script>window.__pwned=1</script></article>"
    page = f'<html><head><meta charset="utf-8">{theme}</head><body>{content}'
    page += '<script type="application/json">{"a":1}</script><script src="x.js"></script></body></html>'
    out = add_policy(page, page.replace(content, ""))
    meta = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', out)
    assert meta and out.index(meta.group(0)) == out.index('<meta charset="utf-8">') + len(
        '<meta charset="utf-8">'
    )
    allowed = re.findall(r"'sha256-[^']+'", meta.group(1))
    assert allowed == script_hashes(theme) and len(allowed) == 1  # not the content's, not the JSON block
