"""Escaping and links for generated pages.

Everything that comes from a record is untrusted text. :func:`esc` makes it inert in every language a
generated page passes through: HTML (``<``, ``&``, quotes), Markdown (``*``, ``_``, backticks, brackets,
``#``, ``|``, ``\\``) and Jinja-like templates (``{``, ``}``). Generated pages bypass Markdown altogether
(see :mod:`imrkb.site.hooks`); the Markdown/template escapes are a second line of defence should a
page ever be fed through Markdown or a macro plugin. Links are relative (the site works under any path
prefix) and only ``http(s)`` URLs from records ever become links.
"""

from __future__ import annotations

import functools
import hashlib
import posixpath
import re
from urllib.parse import urlsplit

_ESCAPES = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    '"': "&quot;",
    "'": "&#39;",
    "{": "&#123;",
    "}": "&#125;",
    "[": "&#91;",
    "]": "&#93;",
    "*": "&#42;",
    "_": "&#95;",
    "`": "&#96;",
    "\\": "&#92;",
    "|": "&#124;",
    "#": "&#35;",
}
_ESC_RE = re.compile("[" + re.escape("".join(_ESCAPES)) + "]")
# C0 controls other than tab/newline are not allowed in HTML text.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# Unicode bidi controls: embeddings/overrides (closed by PDF) and isolates (closed by PDI).
_EMBED, _ISOLATE, _PDF, _PDI = "\u202a\u202b\u202d\u202e", "\u2066\u2067\u2068", "\u202c", "\u2069"
_BIDI_RE = re.compile(f"[{_EMBED}{_ISOLATE}{_PDF}{_PDI}]")


def close_bidi(s: str) -> str:
    """``s`` with every bidi embedding, override or isolate it opens closed at its end, so that a
    right-to-left override in record text cannot reorder the page text that follows it."""
    if not _BIDI_RE.search(s):
        return s
    stack: list[str] = []
    for ch in _BIDI_RE.findall(s):
        if ch in _EMBED or ch in _ISOLATE:
            stack.append(ch)
        elif ch == _PDF and stack and stack[-1] in _EMBED:
            stack.pop()
        elif ch == _PDI and any(c in _ISOLATE for c in stack):
            while stack.pop() not in _ISOLATE:
                pass
    return s + "".join(_PDI if c in _ISOLATE else _PDF for c in reversed(stack))


def esc(text: object) -> str:
    """``text`` as inert HTML text (also safe inside double- or single-quoted attributes); bidi
    controls it opens are closed at its end (:func:`close_bidi`)."""
    s = close_bidi(_CONTROL_RE.sub("", str(text)))
    return _ESC_RE.sub(lambda m: _ESCAPES[m.group(0)], s)


_ATTR = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}
_ATTR_RE = re.compile("[&<>\"']")


def attr(value: str) -> str:
    """A URL or other value for a quoted attribute: HTML-escaped only (``#``, ``/`` stay readable)."""
    return _ATTR_RE.sub(lambda m: _ATTR[m.group(0)], _CONTROL_RE.sub("", value))


def safe_http_url(url: str) -> str | None:
    """``url`` if it is an absolute http(s) URL with a host, else ``None`` (never a link)."""
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or any(c.isspace() for c in url):
        return None
    return url


_URL_IN_TEXT = re.compile(r"https?://[^\s<>\"')\]]+", re.IGNORECASE)


def linkify(text: str) -> str:
    """Escaped ``text`` with its http(s) URLs as links (``rel="nofollow noopener"``); nothing else."""
    out: list[str] = []
    pos = 0
    for m in _URL_IN_TEXT.finditer(text):
        url = m.group(0).rstrip(".,;:")
        end = m.start() + len(url)
        safe = safe_http_url(url)
        out.append(esc(text[pos : m.start()]))
        if safe:
            out.append(f'<a href="{attr(safe)}" rel="nofollow noopener">{esc(url)}</a>')
        else:
            out.append(esc(url))
        pos = end
    out.append(esc(text[pos:]))
    return "".join(out)


def rel(from_url: str, to_url: str) -> str:
    """Relative link from the page at site path ``from_url`` to site path ``to_url`` (both ``a/b/`` form).

    Paths are relative to the site root, without a leading slash; a trailing slash marks a directory
    page. A fragment (``#x``) on ``to_url`` is kept. (Segment arithmetic: ``posixpath.relpath`` cost
    40 us a link, a tenth of a decision page.)
    """
    target, _, frag = to_url.partition("#")
    base = from_url if from_url.endswith("/") or not from_url else posixpath.dirname(from_url) + "/"
    b = [p for p in base.split("/") if p and p != "."]
    t = [p for p in target.split("/") if p and p != "."]
    k = 0
    while k < len(b) and k < len(t) and b[k] == t[k]:
        k += 1
    r = "/".join([".."] * (len(b) - k) + t[k:])
    if not r:
        r = "./"
    elif target.endswith("/") or not target:
        r += "/"
    return r + (f"#{frag}" if frag else "")


SLUG_MAX = 80


@functools.lru_cache(maxsize=1 << 16)  # the same few thousand labels, over a million times at 10,000
def slug(text: str) -> str:
    """URL/anchor slug: lower case ASCII letters and digits joined by ``-`` (``&`` reads ``and``).

    A slug longer than :data:`SLUG_MAX` is cut and ends in a hash of the whole, so that it stays a
    valid file name and distinct texts keep distinct slugs."""
    s = text.lower().replace("&", " and ").replace("/", " ")
    s = re.sub(r"[^a-z0-9]+", "-", s).strip("-") or "x"
    if len(s) > SLUG_MAX:
        s = s[: SLUG_MAX - 13].rstrip("-") + "-" + hashlib.sha256(s.encode("ascii")).hexdigest()[:12]
    return s


def pct(part: int, whole: int) -> str:
    """``part/whole`` as a percentage with one decimal, or an en dash when ``whole`` is 0."""
    return f"{100.0 * part / whole:.1f}%" if whole else "–"
