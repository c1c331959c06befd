"""The built site, checked as a reader and a crawler would: a real `imrkb build` (MkDocs + Pagefind) over
real YAML files, then every page parsed. Counts are recomputed from the YAML with plain dict code."""

from __future__ import annotations

import csv
import json
import posixpath
import re
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml
from site_corpus import HTTP_URL, JS_URL, MARKDOWN, TEMPLATE, XSS, run_imrkb, write_corpus

from imrkb.categories import classify


@dataclass
class Page:
    ids: set[str] = field(default_factory=set)
    links: list[tuple[str, str]] = field(default_factory=list)  # (tag, url)
    text: list[str] = field(default_factory=list)
    tags: Counter[str] = field(default_factory=Counter)
    attrs: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    @property
    def all_text(self) -> str:
        return " ".join(self.text)


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.page.tags[tag] += 1
        self.page.attrs.append((tag, a))
        if "id" in a:
            self.page.ids.add(a["id"])
        if tag == "a" and "name" in a:
            self.page.ids.add(a["name"])
        for key in ("href", "src"):
            if key in a and tag in ("a", "link", "script", "img"):
                self.page.links.append((tag, a[key]))

    def handle_data(self, data: str) -> None:
        self.page.text.append(data)


def parse(path: Path) -> Page:
    p = _Parser()
    p.feed(path.read_text(encoding="utf-8"))
    return p.page


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("corpus")
    paths = write_corpus(root)
    proc = run_imrkb("build", "--root", str(root))
    assert proc.returncode == 0, proc.stderr
    out = root / "site"
    pages = {p: parse(p) for p in out.rglob("*.html")}
    records = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in paths]
    return {"root": root, "out": out, "pages": pages, "records": records, "paths": paths, "log": proc.stderr}


def page_of(site: dict, url: str) -> Page:
    return site["pages"][site["out"] / url / "index.html"]


def items(records: list[dict]):
    for r in records:
        for n, i in enumerate(r["issues"], start=1):
            yield r, n, i


def cites(issue: dict):
    return [*issue["reviewer_citations"], *issue["claims_administrator_citations"]]


# ---------------------------------------------------------------------------------------------- pages


def test_every_decision_has_its_page(site: dict) -> None:
    for r in site["records"]:
        year = str(r["dates"]["decision"].year) if r["dates"]["decision"] else "undated"
        page = page_of(site, f"decisions/{year}/{r['id']}")
        assert r["id"] in page.all_text
        for n, issue in enumerate(r["issues"], start=1):
            assert f"item-{n}" in page.ids
            assert issue["outcome"].title() in page.all_text
        assert (site["out"] / "decisions" / year / f"{r['id']}.yaml").read_text(encoding="utf-8") == Path(
            next(p for p in site["paths"] if p.stem == r["id"])
        ).read_text(encoding="utf-8")
        assert json.loads((site["out"] / "decisions" / year / f"{r['id']}.json").read_text())["id"] == r["id"]


def test_synthetic_records_carry_a_banner(site: dict) -> None:
    for r in site["records"]:
        year = str(r["dates"]["decision"].year) if r["dates"]["decision"] else "undated"
        page = page_of(site, f"decisions/{year}/{r['id']}")
        assert ("Synthetic record." in page.all_text) == r["synthetic"], r["id"]


def _resolve(page_file: Path, out: Path, href: str) -> tuple[Path, str]:
    parts = urlsplit(href)
    base = "/" + page_file.parent.relative_to(out).as_posix() + "/"
    target = posixpath.normpath(posixpath.join(base, unquote(parts.path))) if parts.path else page_file
    if isinstance(target, str):
        t = out / target.lstrip("/")
        if t.is_dir():
            t = t / "index.html"
    else:
        t = target
    return t, parts.fragment


def test_every_internal_link_and_anchor_resolves(site: dict) -> None:
    out: Path = site["out"]
    broken = []
    checked = 0
    for path, page in site["pages"].items():
        if path.parts[-2:] == ("404.html",) or path.name == "404.html":
            continue  # the 404 page uses absolute links by design
        for _tag, href in page.links:
            scheme = urlsplit(href).scheme
            if scheme in ("http", "https", "mailto") or href.startswith("//"):
                continue
            assert scheme == "", f"{path}: unexpected link scheme in {href!r}"
            target, frag = _resolve(path, out, href)
            checked += 1
            if not target.exists():
                broken.append(f"{path.relative_to(out)}: {href} -> missing {target.relative_to(out)}")
            elif frag and target.suffix == ".html" and frag not in site["pages"][target].ids:
                broken.append(f"{path.relative_to(out)}: {href} -> no anchor #{frag}")
    assert checked > 1000
    assert not broken, "\n".join(broken[:30])


def test_decision_pages_stay_out_of_the_navigation(site: dict) -> None:
    for url in ("", "decisions/2016/SYN16-0000001"):
        page = parse(site["out"] / url / "index.html")
        nav = [a["href"] for t, a in page.attrs if t == "a" and "md-nav__link" in a.get("class", "")]
        assert len(nav) <= 12, nav
        assert not any("decisions/" in h for h in nav)
        assert any(h.endswith("guidelines/") for h in nav) and any(h.endswith("statistics/") for h in nav)


def test_material_search_index_is_not_built(site: dict) -> None:
    assert not (site["out"] / "search" / "search_index.json").exists()
    assert not list(site["out"].rglob("search_index.json"))


def test_pagefind_indexes_exactly_the_decision_pages(site: dict) -> None:
    entry = json.loads((site["out"] / "pagefind" / "pagefind-entry.json").read_text())
    assert sum(lang["page_count"] for lang in entry["languages"].values()) == len(site["records"])
    assert (site["out"] / "pagefind" / "pagefind.js").is_file()
    page = page_of(site, "decisions/2016/SYN16-0000002")
    filters = {(a["data-pagefind-filter"]) for t, a in page.attrs if "data-pagefind-filter" in a}
    assert {"outcome", "year", "guideline", "category", "specialty"} <= filters
    assert any("data-pagefind-sort" in a for _, a in page.attrs)
    assert any("data-pagefind-body" in a for _, a in page.attrs)


# ---------------------------------------------------------------------------------------------- escaping


def test_hostile_text_stays_text(site: dict) -> None:
    page = page_of(site, "decisions/2014/SYN14-0000004")
    text = page.all_text
    assert XSS in text and MARKDOWN in text and TEMPLATE in text
    html = (site["out"] / "decisions/2014/SYN14-0000004/index.html").read_text(encoding="utf-8")
    assert "<img src=x" not in html and "<script>alert" not in html and "<b>tag</b>" not in html
    assert "<strong>bold</strong>" not in html
    assert page.tags["img"] == 0
    assert not any("onerror" in a for _, a in page.attrs)


def test_only_http_links_from_records(site: dict) -> None:
    for path, page in site["pages"].items():
        for _, href in page.links:
            assert not href.lower().startswith(("javascript:", "data:", "vbscript:")), f"{path}: {href}"
    page = page_of(site, "decisions/2014/SYN14-0000004")
    assert ("a", HTTP_URL) in page.links
    assert JS_URL in page.all_text


def test_titles_from_records_are_sanitised(site: dict) -> None:
    for path, page in site["pages"].items():
        for tag, a in page.attrs:
            assert not any(k.startswith("on") for k in a), f"{path}: event handler attribute on <{tag}>"
    html = next(p for p in site["pages"] if "internal-medicine" in str(p)).read_text(encoding="utf-8")
    title = html[html.index("<title>") : html.index("</title>")]
    assert "<" not in title[7:] and '"' not in title and "&" not in title


# ---------------------------------------------------------------------------------------------- counts


def _counts(page: Page, selector_attr: str, key: str) -> tuple[int, int]:
    for _, a in page.attrs:
        if a.get(selector_attr) == key:
            return int(a["data-items"]), int(a["data-overturned"])
    raise AssertionError(f"no [{selector_attr}={key}]")


def _first_counts(page: Page) -> tuple[int, int]:
    for _, a in page.attrs:
        if "imrkb-counts" in a.get("class", "") and "data-items" in a:
            return int(a["data-items"]), int(a["data-overturned"])
    raise AssertionError("no counts line")


def _tally(records: list[dict], pred) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    hits = [(r["id"], n, i["outcome"]) for r, n, i in items(records) if any(pred(c) for c in cites(i))]
    return len(hits), sum(1 for *_, o in hits if o == "overturned")


UNIT_CASES = [
    ("guidelines/mtus-acoem/8", lambda c: c["guideline"] == "mtus-acoem" and c["chapter"] == 8, None),
    (
        "guidelines/mtus-acoem/8",
        lambda c: c["guideline"] == "mtus-acoem" and c["chapter"] == 8 and [177, 179] in c["pages"],
        "p-177-179",
    ),
    ("guidelines/mtus-acoem/12", lambda c: c["guideline"] == "mtus-acoem" and c["chapter"] == 12, None),
    (
        "guidelines/mtus-acoem/12",
        lambda c: c["guideline"] == "mtus-acoem" and c["chapter"] == 12 and "Special Studies" in c["topics"],
        "t-special-studies",
    ),
    (
        "guidelines/odg/neck-and-upper-back",
        lambda c: c["guideline"] == "odg" and c["chapter"] == "neck-and-upper-back",
        None,
    ),
    (
        "guidelines/mtus-cpmtg/opioids-criteria-for-use",
        lambda c: c["guideline"] == "mtus-cpmtg" and "Opioids, criteria for use" in c["topics"],
        None,
    ),
    (
        "guidelines/mtus-cpmtg/cyclobenzaprine-flexeril",
        lambda c: c["guideline"] == "mtus-cpmtg" and [41, 42] in c["pages"],
        None,
    ),
    ("guidelines/none", lambda c: c["guideline"] == "none", None),
    ("guidelines/other", lambda c: c["guideline"] == "other", None),
]


@pytest.mark.parametrize(("url", "pred", "group"), UNIT_CASES)
def test_guideline_page_counts_match_the_yaml(site: dict, url: str, pred, group: str | None) -> None:  # type: ignore[no-untyped-def]
    page = page_of(site, url)
    expected = _tally(site["records"], pred)
    assert expected[0] > 0
    got = _counts(page, "data-group", group) if group else _first_counts(page)
    assert got == expected


def test_decisions_are_listed_on_the_guideline_page_they_link_to(site: dict) -> None:
    page = page_of(site, "guidelines/mtus-acoem/8")
    listed = {a["data-decision"] for t, a in page.attrs if t == "tr" and "data-decision" in a}
    expected = {
        r["id"]
        for r, _, i in items(site["records"])
        if any(c["guideline"] == "mtus-acoem" and c["chapter"] == 8 for c in cites(i))
    }
    assert listed == expected


def test_long_guideline_pages_are_paginated(site: dict) -> None:
    n, _ = _tally(site["records"], lambda c: "Opioids, criteria for use" in c.get("topics", []))
    assert n > 50
    base = site["out"] / "guidelines/mtus-cpmtg/opioids-criteria-for-use"
    lists = [base / "index.html", *sorted(base.glob("page/*/index.html"))]
    assert len(lists) >= 2
    rows = [a for p in lists for t, a in site["pages"][p].attrs if t == "tr" and "data-decision" in a]
    assert len(rows) == n


def test_citation_links_lead_to_the_page_listing_the_item(site: dict) -> None:
    out: Path = site["out"]
    checked = 0
    for r in site["records"]:
        year = str(r["dates"]["decision"].year) if r["dates"]["decision"] else "undated"
        path = out / "decisions" / year / r["id"] / "index.html"
        html = path.read_text(encoding="utf-8")
        for n in range(1, len(r["issues"]) + 1):
            start = html.index(f'id="item-{n}"')
            end = html.find('id="item-', start + 5)
            section = html[start : end if end > 0 else len(html)]
            for href in re.findall(r'class="imrkb-cite-links"[^>]*>Guideline page: (.*?)</span>', section):
                for link in re.findall(r'href="([^"]+)"', href):
                    target, frag = _resolve(path, out, link)
                    page = site["pages"][target]
                    assert not frag or frag in page.ids
                    if "unresolved" not in link:
                        assert any(
                            a.get("data-decision") == r["id"] and a.get("data-item") == str(n)
                            for t, a in page.attrs
                            if t == "tr"
                        ), f"{r['id']} item {n} not on {link}"
                    checked += 1
    assert checked > 60


def test_unresolved_citations_are_listed(site: dict) -> None:
    page = page_of(site, "guidelines/unresolved")
    n = sum(1 for _, _, i in items(site["records"]) for c in cites(i) if c["chapter"] == 99)
    assert n == 1
    assert int(next(a["data-citations"] for _, a in page.attrs if "data-citations" in a)) == n
    assert "MTUS ACOEM Chapter 99 Imaginary Complaints" in page.all_text


def test_statistics_match_the_yaml(site: dict) -> None:
    page = page_of(site, "statistics")
    by_year: Counter[str] = Counter()
    over_year: Counter[str] = Counter()
    by_cat: Counter[str] = Counter()
    over_cat: Counter[str] = Counter()
    for r, _, i in items(site["records"]):
        y = str(r["dates"]["decision"].year) if r["dates"]["decision"] else "undated"
        cat = classify(i["item"])[0]
        by_year[y] += 1
        by_cat[cat] += 1
        if i["outcome"] == "overturned":
            over_year[y] += 1
            over_cat[cat] += 1
    for y in by_year:
        assert _counts(page, "data-year", y) == (by_year[y], over_year[y])
    for c in by_cat:
        assert _counts(page, "data-category", c) == (by_cat[c], over_cat[c])
    total = sum(by_year.values())
    assert _first_counts(page) == (total, sum(over_year.values()))
    assert page.tags["svg"] >= 3


def test_browse_and_home_counts_match_the_yaml(site: dict) -> None:
    outcomes = Counter(i["outcome"] for _, _, i in items(site["records"]))
    for outcome, n in outcomes.items():
        assert _first_counts(page_of(site, f"browse/outcome/{outcome}"))[0] == n
    home = parse(site["out"] / "index.html")
    a = next(a for _, a in home.attrs if "data-decisions" in a and "data-items" in a)
    assert int(a["data-decisions"]) == len(site["records"])
    assert int(a["data-items"]) == sum(outcomes.values())
    assert int(a["data-overturned"]) == outcomes["overturned"]


def test_specialty_spellings_share_one_page(site: dict) -> None:
    page = page_of(site, "browse/specialty/physical-medicine-and-rehabilitation")
    ids = {a["data-decision"] for t, a in page.attrs if t == "tr" and "data-decision" in a}
    assert ids == {"SYN16-0000001", "SYN16-0000002", "IMR-0123456789ab"}


# ---------------------------------------------------------------------------------------------- data


def test_feed_sitemap_and_downloads(site: dict) -> None:
    out: Path = site["out"]
    feed = ET.parse(out / "feed.xml").getroot()
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries = feed.findall("a:entry", ns)
    assert len(entries) == min(50, len(site["records"]))
    newest = max((r for r in site["records"] if r["dates"]["decision"]), key=lambda r: r["dates"]["decision"])
    assert entries[0].find("a:title", ns).text.startswith(newest["id"])  # newest first
    sitemap = (out / "sitemap.xml").read_text(encoding="utf-8")
    for r in site["records"]:
        assert f"/{r['id']}/</loc>" in sitemap
    lines = (out / "data" / "decisions.jsonl").read_text(encoding="utf-8").splitlines()
    assert sorted(json.loads(x)["id"] for x in lines) == sorted(r["id"] for r in site["records"])
    with (out / "data" / "decisions.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == sum(1 for _ in items(site["records"]))
    assert {row["outcome"] for row in rows} == {"upheld", "overturned"}


def test_similar_decisions_box_agrees_with_imrkb_similar(site: dict) -> None:
    """Every decision page lists, in order, the decisions `imrkb similar ID` gives, each linked to its page;
    never itself; none when the corpus has nothing like it."""
    boxes = 0
    for rec in site["records"]:
        ident = str(rec["id"])
        page = next(p for p in site["out"].glob(f"decisions/*/{ident}/index.html"))
        text = page.read_text(encoding="utf-8")
        box = re.search(r'<section class="imrkb-similar".*?</section>', text)
        listed = re.findall(r'<li data-decision="([^"]+)"><a href="([^"]+)"', box.group(0)) if box else []
        proc = run_imrkb("similar", ident, "--json", "--root", str(site["root"]))
        assert proc.returncode == 0, proc.stderr
        want = [s["decision"] for s in json.loads(proc.stdout)["similar"]]
        assert [d for d, _ in listed] == want
        assert ident not in want
        for other, href in listed:
            target = posixpath.normpath(posixpath.join(page.parent.as_posix(), href))
            assert Path(target, "index.html").is_file() and Path(target).name == other
        boxes += bool(listed)
    assert boxes >= len(site["records"]) // 2, "too few decisions have similar ones to test anything"
