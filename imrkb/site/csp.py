"""The Content-Security-Policy every page carries (as ``<meta http-equiv>``: static hosts set no headers).

Scripts run only from the site's own files, plus the theme's few inline scripts allowed one by one by
their SHA-256 hash (no ``'unsafe-inline'``). The hashes are taken from the page *outside* its content,
so a script that ever slipped into record text would not be allowed by them. Pagefind compiles its
WebAssembly search engine in the page, which needs ``'wasm-unsafe-eval'`` (WebAssembly only; JavaScript
``eval`` stays forbidden). Styles, images, fonts, fetches and workers come from the site itself (images
also from ``data:`` URLs, which the theme's stylesheet uses for icons); no plugins, no ``<base>``,
forms post only to the site. ``frame-ancestors`` cannot be set from a ``<meta>`` (browsers ignore it
there): a host that can send headers should send ``frame-ancestors 'none'`` itself.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable

POLICY = (
    ("default-src", "'self'"),
    ("script-src", "'self' 'wasm-unsafe-eval'"),
    ("style-src", "'self'"),
    ("img-src", "'self' data:"),
    ("font-src", "'self'"),
    ("connect-src", "'self'"),
    ("worker-src", "'self'"),
    ("object-src", "'none'"),
    ("base-uri", "'self'"),
    ("form-action", "'self'"),
)

_SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
_TYPE = re.compile(r"""\btype\s*=\s*["']?([^"'\s>]+)""", re.IGNORECASE)
_RUNNABLE = {"", "text/javascript", "application/javascript", "module"}
_CHARSET = re.compile(r"<meta\s+charset=[^>]*>", re.IGNORECASE)
_HEAD = re.compile(r"<head(\s[^>]*)?>", re.IGNORECASE)


def script_hashes(html: str) -> list[str]:
    """CSP source expressions (``'sha256-…'``) for the inline scripts a browser would run in ``html``."""
    out = []
    for m in _SCRIPT.finditer(html):
        attrs, body = m.group(1), m.group(2)
        if re.search(r"\bsrc\s*=", attrs, re.IGNORECASE):
            continue
        t = _TYPE.search(attrs)
        if (t.group(1).lower() if t else "") not in _RUNNABLE:
            continue  # data blocks (application/json) never run
        digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode("ascii")
        out.append(f"'sha256-{digest}'")
    return sorted(set(out))


def policy(hashes: Iterable[str] = ()) -> str:
    """The policy text, with ``hashes`` added to ``script-src``."""
    extra = " ".join(hashes)
    return "; ".join(f"{k} {v} {extra}".rstrip() if k == "script-src" else f"{k} {v}" for k, v in POLICY)


def add_policy(html: str, trusted: str | None = None) -> str:
    """``html`` with the policy as the first thing after ``<meta charset>`` (or ``<head>``).

    Inline scripts are allowed by hash only as found in ``trusted`` (the page without its content;
    default: the whole page). A page without a head is returned unchanged."""
    m = _CHARSET.search(html, 0, 2048) or _HEAD.search(html)
    if m is None:
        return html
    text = policy(script_hashes(html if trusted is None else trusted)).replace('"', "&quot;")
    tag = f'<meta http-equiv="Content-Security-Policy" content="{text}">'
    return html[: m.end()] + tag + html[m.end() :]
