"""MkDocs hook (``hooks:`` in mkdocs.yml): generated pages bypass Markdown entirely.

A page whose front matter says ``imrkb: html`` carries a ready, escaped HTML fragment made by
:mod:`imrkb.site.render`; the hook hands it to the theme untouched, so no Markdown, attribute-list or
template syntax inside record text is ever interpreted. Hand-written pages may hold placeholders
``<div data-imrkb-insert="NAME"></div>`` that are replaced by ``<docs_dir>/.fragments/NAME.html``
(written by the build; dot-folders are not pages).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

_STASH_KEY = "_imrkb_html"
_INSERT = re.compile(r'<div data-imrkb-insert="([a-z0-9-]+)"></div>')


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    if page.meta.get("imrkb") == "html":
        setattr(page, _STASH_KEY, markdown)
        return ""
    return markdown


def on_page_content(html: str, page: Any, config: Any, files: Any) -> str:
    stashed = getattr(page, _STASH_KEY, None)
    if stashed is not None:
        delattr(page, _STASH_KEY)
        return stashed
    if "data-imrkb-insert" not in html:
        return html
    frag_dir = Path(config["docs_dir"]) / ".fragments"

    def insert(m: re.Match[str]) -> str:
        path = frag_dir / f"{m.group(1)}.html"
        return path.read_text(encoding="utf-8") if path.is_file() else ""

    return _INSERT.sub(insert, html)
