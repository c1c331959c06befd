"""Stamped pages (imrkb/site/stamp.py) against the pages MkDocs itself renders.

A page stamped into a template must be the page MkDocs renders for the same URL, title and content (real
``mkdocs build`` of both), byte for byte once every relative link is resolved (a template at the same
depth may spell a link to a folder above differently: ``../../`` or ``../../../browse/``, one target);
markers inside a page's text stay text.
"""

from __future__ import annotations

import posixpath
import re
import shutil
from pathlib import Path

import pytest

from imrkb.errors import ImrkbError
from imrkb.site import stamp
from imrkb.site.build import PROJECT_DIR, run_mkdocs, safe_title, write_page

PAGES = [
    ("decisions/2016/CM16-0000001/", "CM16-0000001", "<h1>CM16-0000001</h1><p>Lumbar MRI: upheld.</p>"),
    ("browse/category/dmepos/page/2/", "Treatment category: DMEPOS", "<h1>DMEPOS</h1><p>Page two.</p>"),
    ("guidelines/odg/low-back/", "ODG: Low Back", "<p>No heading of its own.</p>"),
    # A page's text holding the markers and its neighbours' URL: written as given, never filled in.
    (
        "decisions/2017/CM17-0000002/",
        "CM17-0000002",
        f"<h1>x</h1><p>{stamp.TITLE_MARK} {stamp.CONTENT_MARK} /{stamp.template_url(3)}</p>",
    ),
]


LINK = re.compile(r'(href|src)="([^"#:?]*)')


def resolved(page: str, url: str) -> str:
    """The page with every relative link written as the site path it leads to."""

    def absolute(m: re.Match[str]) -> str:
        target = posixpath.normpath(posixpath.join("/" + url, m.group(2)))
        return f'{m.group(1)}="{target}' + ("/" if m.group(2).endswith("/") or m.group(2) in ("", ".") else "")

    return LINK.sub(absolute, page)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two real builds: one with the pages as MkDocs pages, one with templates only."""
    base = tmp_path_factory.mktemp("stamp")
    out = {}
    for name in ("mkdocs", "templates"):
        staging = base / name / "docs"
        shutil.copytree(PROJECT_DIR / "docs", staging)
        (staging / ".fragments").mkdir()
        for url in ("guidelines/", "browse/", "statistics/", "guidelines/unresolved/"):
            write_page(staging, url, "x", "<h1>x</h1>")
        if name == "mkdocs":
            for url, title, html in PAGES:
                write_page(staging, url, title, html)
        else:
            for url, title, html in stamp.template_pages(range(1, 6)):
                write_page(staging, url, title, html, in_sitemap=False)
        run_mkdocs(staging, base / name / "site", None)
        out[name] = base / name / "site"
    return out


@pytest.mark.parametrize(("url", "title", "html"), PAGES, ids=[p[0] for p in PAGES])
def test_stamped_page_is_the_page_mkdocs_renders(built: dict[str, Path], url: str, title: str, html: str) -> None:
    stamper = stamp.Stamper(built["templates"], range(1, 6))
    want = (built["mkdocs"] / url / "index.html").read_text(encoding="utf-8")
    got = stamper.page(url, safe_title(title), html)
    assert resolved(got, url) == resolved(want, url)
    if url.startswith("decisions/"):  # no navigation entry above it: the very same bytes
        assert got == want


def test_template_pages_leave_the_site_and_the_sitemap(built: dict[str, Path], tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(built["templates"], site)
    stamper = stamp.Stamper(site, range(1, 6))
    assert stamp.TEMPLATE_DIR not in (site / "sitemap.xml").read_text(encoding="utf-8")
    stamper.remove_templates()
    assert not (site / stamp.TEMPLATE_DIR).exists()


def test_missing_depth_and_changed_theme_are_errors(built: dict[str, Path], tmp_path: Path) -> None:
    stamper = stamp.Stamper(built["templates"], range(1, 3))
    with pytest.raises(ImrkbError, match="depth 3"):
        stamper.page("decisions/2016/X/", "X", "<h1>X</h1>")
    with pytest.raises(ImrkbError, match="stamp markers"):
        stamp.cut("<html><title>no markers</title></html>", "imrkb-stamp/", "t.html")
    bad = tmp_path / "site"
    (bad / stamp.TEMPLATE_DIR).mkdir(parents=True)
    (bad / stamp.TEMPLATE_DIR / "index.html").write_text(stamp.CONTENT_MARK * 2, encoding="utf-8")
    with pytest.raises(ImrkbError, match=r"content 2x"):
        stamp.Stamper(bad, [1])
