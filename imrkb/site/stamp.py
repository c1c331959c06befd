"""Generated pages stamped into theme templates that MkDocs rendered, instead of one MkDocs page each.

MkDocs renders every page through Material's Jinja templates and keeps every page in memory (2.4 ms and
~40 KB a page: at 100,000 decisions most of a build's time and memory). Yet a generated page differs
from another of the same folder depth only in its title, canonical URL and content: the navigation, the
relative links to assets and the Content-Security-Policy (which hashes the theme's inline scripts, whose
text depends on the depth) are the same. So the build asks MkDocs for one *template* page per depth, with
markers for the title and the content, and fills every generated page of that depth into it.

The markers are cut out of the template once; pages are joined from the pieces, so nothing in a page's
title or content is ever searched for markers or interpreted (the content is escaped HTML made by
:mod:`imrkb.site.render`). Pages in the navigation stay MkDocs pages (the theme marks them active).
"""

from __future__ import annotations

import html
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from ..errors import ImrkbError

#: The folder of the template pages in the staged docs (removed from the built site).
TEMPLATE_DIR = "imrkb-stamp"
TITLE_MARK = "IMRKBSTAMPTITLE"
#: Holds "<h1" so that the theme does not add a heading of its own (it adds the page title as one to
#: content without it; :meth:`Stamper.page` does the same for such content).
CONTENT_MARK = "<!--imrkb-stamp-content <h1 -->"


def depth(url: str) -> int:
    """Folder depth of a page's site path: ``""`` 0, ``browse/`` 1, ``decisions/2016/X/`` 3."""
    return len([p for p in url.split("/") if p])


def template_url(d: int) -> str:
    """Site path of the template page of depth ``d`` (>= 1)."""
    if d < 1:
        raise ValueError(f"no template page of depth {d}")
    return f"{TEMPLATE_DIR}/" if d == 1 else f"{TEMPLATE_DIR}/{d}/" + "x/" * (d - 2)


def template_pages(depths: Iterable[int], nav: Iterable[str] = ()) -> list[tuple[str, str, str]]:
    """``(url, title, html)`` of the template pages to stage for MkDocs: one per depth, and each generated
    page of the navigation at its own URL (so the theme renders its navigation entry as the current one)."""
    urls = [template_url(d) for d in sorted(set(depths))] + sorted(nav)
    return [(u, TITLE_MARK, CONTENT_MARK) for u in urls]


@dataclass(frozen=True)
class Template:
    """A rendered template page cut at its markers: ``pieces`` alternate with the slots in ``slots``."""

    pieces: tuple[str, ...]
    slots: tuple[str, ...]  # "title", "content" or "url", one between each two pieces

    def fill(self, title: str, content: str, url: str) -> str:
        values = {"title": html.escape(title, quote=True), "content": content, "url": html.escape(url)}
        out = [self.pieces[0]]
        for slot, piece in zip(self.slots, self.pieces[1:], strict=True):
            out.append(values[slot])
            out.append(piece)
        return "".join(out)


def cut(text: str, own_url: str, where: str) -> Template:
    """Cut a rendered template page at its markers. The page's own site path (in its canonical link)
    becomes the ``url`` slot. :class:`ImrkbError` if the theme put the content marker anywhere but once
    or dropped the title (a theme change this module must follow)."""
    if text.count(CONTENT_MARK) != 1 or TITLE_MARK not in text:
        raise ImrkbError(
            f"{where}: the theme's page does not hold the stamp markers as expected "
            f"(content {text.count(CONTENT_MARK)}x, title {text.count(TITLE_MARK)}x)"
        )
    marks = {CONTENT_MARK: "content", TITLE_MARK: "title", f"/{own_url}": "url"}
    pieces: list[str] = []
    slots: list[str] = []
    pos = 0
    while True:
        found = [(text.find(m, pos), m) for m in marks]
        found = [(i, m) for i, m in found if i >= 0]
        if not found:
            break
        i, m = min(found)
        pieces.append(text[pos:i] + ("/" if marks[m] == "url" else ""))
        slots.append(marks[m])
        pos = i + len(m)
    pieces.append(text[pos:])
    return Template(tuple(pieces), tuple(slots))


class Stamper:
    """Writes generated pages into the built site from its template pages (see the module docstring)."""

    def __init__(
        self,
        site: Path,
        depths: Iterable[int],
        nav: Iterable[str] = (),
        put: Callable[[str, str], object] | None = None,
    ) -> None:
        """Templates from the MkDocs build ``site``; pages written there too, or handed to ``put``
        (``(path relative to the site, html)``)."""
        self.site = site
        self.put = put
        self.templates = {d: self._load(template_url(d)) for d in sorted(set(depths))}
        self.nav_urls = frozenset(nav)
        self.nav_templates = {u: self._load(u) for u in sorted(self.nav_urls)}
        self.written: set[str] = set()
        self.listed: list[str] = []  # written pages for the sitemap, in the order written

    def _load(self, url: str) -> Template:
        path = self.site / url / "index.html"
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as e:
            raise ImrkbError(f"{path}: template page missing after mkdocs build ({e})") from None
        return cut(text, url, str(path))

    def page(self, url: str, title: str, content: str) -> str:
        """The whole HTML of the page at ``url``."""
        t = self.nav_templates.get(url) or self.templates.get(depth(url))
        if t is None:
            raise ImrkbError(f"no template page of depth {depth(url)} for {url!r} (build staged too few)")
        if "<h1" not in content:  # as the theme does: the title heads a page that has no heading
            content = f"  <h1>{html.escape(title, quote=True)}</h1>\n\n{content}"
        return t.fill(title, content, url)

    def check_nav_written(self) -> None:
        """Every navigation page staged as a template was stamped (else it would show the markers)."""
        missing = sorted(self.nav_urls - self.written)
        if missing:
            raise ImrkbError(
                f"pages in the navigation or linked from docs/ were not generated: {', '.join(missing)}"
            )

    def write(self, url: str, title: str, content: str, *, in_sitemap: bool = True) -> None:
        """Write the page at ``url``; ``in_sitemap=False`` keeps it out of :attr:`listed` (a notice)."""
        page = self.page(url, title, content)
        if self.put is not None:
            self.put(f"{url}index.html", page)
        else:
            path = self.site / url / "index.html"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(page, encoding="utf-8")
        self.written.add(url)
        if in_sitemap:
            self.listed.append(url)

    def digest(self) -> str:
        """A digest of the templates: pages stamped from equal templates are equal."""
        import hashlib

        h = hashlib.blake2b(digest_size=16)
        for key, t in [*self.templates.items(), *self.nav_templates.items()]:
            h.update(repr((key, t.slots, t.pieces)).encode())
        return h.hexdigest()

    def remove_templates(self) -> None:
        """Delete the template pages from the built site (they are not pages of the site)."""
        shutil.rmtree(self.site / TEMPLATE_DIR, ignore_errors=True)
