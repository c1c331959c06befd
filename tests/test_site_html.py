"""Escaping, links and the small pure helpers of the site, as tables."""

from __future__ import annotations

import datetime as dt
import io
import threading
import urllib.request
from pathlib import Path

import pytest
from site_corpus import XSS, corpus, run_imrkb, write_corpus

from imrkb.serve import make_server
from imrkb.site.exports import Exporter
from imrkb.site.feeds import atom_feed
from imrkb.site.html import attr, esc, linkify, rel, safe_http_url
from imrkb.site.render import pager
from imrkb.site.rows import DecisionRow, newest_first_key

ESC = [
    ("<script>", "&lt;script&gt;"),
    ("a & b", "a &amp; b"),
    ('"q"', "&quot;q&quot;"),
    ("{{ x }}", "&#123;&#123; x &#125;&#125;"),
    (
        "**b** _i_ `c` [l](u) # h | t \\",
        "&#42;&#42;b&#42;&#42; &#95;i&#95; &#96;c&#96; &#91;l&#93;(u) &#35; h &#124; t &#92;",
    ),
    ("bell\x07 ok", "bell ok"),
]


@pytest.mark.parametrize(("raw", "escaped"), ESC)
def test_esc(raw: str, escaped: str) -> None:
    assert esc(raw) == escaped


URLS = [
    ("https://example.org/a?b=1", "https://example.org/a?b=1"),
    ("http://example.org", "http://example.org"),
    ("javascript:alert(1)", None),
    ("JAVASCRIPT:alert(1)", None),
    ("data:text/html,x", None),
    ("//example.org", None),
    ("https://", None),
    ("https://exa mple.org", None),
    ("/relative", None),
]


@pytest.mark.parametrize(("url", "expected"), URLS)
def test_safe_http_url(url: str, expected: str | None) -> None:
    assert safe_http_url(url) == expected


def test_linkify_links_only_http() -> None:
    out = linkify("see https://a.org/x. and javascript:alert(1) <b>")
    assert out.count("<a ") == 1
    assert 'href="https://a.org/x"' in out
    assert "javascript:alert(1)" in out and "&lt;b&gt;" in out


def test_attr_keeps_urls_readable() -> None:
    assert attr('../a/#g-p-1?x="y"') == "../a/#g-p-1?x=&quot;y&quot;"


REL = [
    (
        "decisions/2016/X/",
        "guidelines/mtus-acoem/8/#g-p-177-179",
        "../../../guidelines/mtus-acoem/8/#g-p-177-179",
    ),
    ("decisions/2016/X/", "", "../../../"),
    ("", "search/", "search/"),
    ("a/b/", "a/b/", "./"),
    ("a/b/", "a/c.yaml", "../c.yaml"),
    ("browse/outcome/upheld/page/2/", "browse/outcome/upheld/", "../../"),
]


@pytest.mark.parametrize(("src", "dst", "expected"), REL)
def test_rel(src: str, dst: str, expected: str) -> None:
    assert rel(src, dst) == expected


def test_pager_windows_and_marks_the_current_page() -> None:
    html = pager("browse/x/", 5, 12, "browse/x/page/5/")
    assert '<span aria-current="page">5</span>' in html
    assert 'href="../../"' in html  # page 1 is the base
    assert 'href="../12/"' in html and 'rel="prev"' in html and 'rel="next"' in html
    assert "…" in html
    assert pager("browse/x/", 1, 1, "browse/x/") == ""


def test_newest_first_order() -> None:
    rows = [
        DecisionRow(i, "", d, 1, 0, (), False, "")
        for i, d in (("a", "2015-01-02"), ("b", ""), ("c", "2016-12-31"), ("d", "2015-01-02"))
    ]
    assert [r.id for r in sorted(rows, key=newest_first_key)] == ["c", "a", "d", "b"]


def test_feed_escapes_text() -> None:
    row = DecisionRow("SYN1", "decisions/2016/SYN1/", "2016-01-01", 1, 0, (), True, XSS + " & ]]>")
    xml = atom_feed(
        [row], "https://example.org/kb", title="t", now=dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)
    )
    assert "<img" not in xml and "&lt;img" in xml and "[Synthetic record]" in xml
    assert "https://example.org/kb/decisions/2016/SYN1/" in xml


def test_csv_export_neutralises_formulas() -> None:
    d = corpus()[0]
    from dataclasses import replace

    bad = replace(d, issues=(replace(d.issues[0], item='=HYPERLINK("http://x")'),))
    buf = io.StringIO()
    Exporter("csv", buf).add(bad)
    assert "'=HYPERLINK" in buf.getvalue()


def test_export_command_writes_jsonl_and_csv(tmp_path: Path) -> None:
    write_corpus(tmp_path)
    n_records = len(corpus())
    n_items = sum(len(d.issues) for d in corpus())
    out = tmp_path / "all.jsonl"
    proc = run_imrkb("export", "--format", "jsonl", "--root", str(tmp_path), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert len(out.read_text(encoding="utf-8").splitlines()) == n_records
    proc = run_imrkb("export", "--format", "csv", "--root", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.splitlines()) == n_items + 1
    bad = run_imrkb("export", "--format", "csv", "--root", str(tmp_path / "nowhere"))
    assert bad.returncode == 2 and "no decisions folder" in bad.stderr


def test_build_reports_a_broken_record_by_file(tmp_path: Path) -> None:
    write_corpus(tmp_path, corpus()[:2])
    broken = tmp_path / "decisions" / "2016" / "BROKEN-1.yaml"
    broken.write_text("schema: 1\nid: BROKEN-1\nissues: [{item: x}]\n", encoding="utf-8")
    proc = run_imrkb("build", "--root", str(tmp_path), "--no-search-index")
    assert proc.returncode == 2
    assert "BROKEN-1.yaml" in proc.stderr and "Traceback" not in proc.stderr


def test_serve_serves_the_site_and_routes(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<h1>hi</h1>", encoding="utf-8")
    srv = make_server(tmp_path, 0)
    port = srv.server_address[1]
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        assert srv.server_address[0] == "127.0.0.1"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/") as r:
            assert b"<h1>hi</h1>" in r.read()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz") as r:
            assert r.read() == b"ok\n"
    finally:
        srv.shutdown()
        srv.server_close()
