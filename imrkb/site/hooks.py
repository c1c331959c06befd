"""MkDocs hook (``hooks:`` in mkdocs.yml): generated pages bypass Markdown entirely.

A page whose front matter says ``imrkb: html`` carries a ready, escaped HTML fragment made by
:mod:`imrkb.site.render`; the hook hands it to the theme untouched, so no Markdown, attribute-list or
template syntax inside record text is ever interpreted. Hand-written pages may hold placeholders
``<div data-imrkb-insert="NAME"></div>`` that are replaced by ``<docs_dir>/.fragments/NAME.html``
(written by the build; dot-folders are not pages).

Every HTML page and template output gets the Content-Security-Policy of :mod:`imrkb.site.csp`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from imrkb.site.csp import add_policy

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


def on_post_page(output: str, page: Any, config: Any) -> str:
    content = page.content or ""
    # Inline scripts are allowed by hash only from the theme's part of the page, never from its content.
    trusted = output.replace(content, "", 1) if content else output
    return add_policy(output, trusted)


def on_post_template(output_content: str, template_name: str, config: Any) -> str:
    return add_policy(output_content) if template_name.endswith(".html") else output_content
