"""Highlighted snippets of a rationale as plain segments (never markup: letter text is untrusted).

A snippet is a list of ``(text, hit)`` pairs; the CLI, the JSON output and the site each render the hits
their own way (bold on a terminal, ``«»`` in plain text, elements built with ``textContent`` on a page).
"""

from __future__ import annotations

from typing import Any

from whoosh import highlight

_ON, _OFF = "\x02", "\x03"  # cannot occur in indexed text: documents.clean() removes control characters

Segments = list[tuple[str, bool]]


class _Marks(highlight.Formatter):
    """Wraps each matched token in sentinel characters; fragments are joined with an ellipsis."""

    between = " … "

    def format_token(self, text: str, token: Any, replace: bool = False) -> str:
        return _ON + highlight.get_text(text, token, replace) + _OFF


def make_highlighter() -> highlight.Highlighter:
    return highlight.Highlighter(
        fragmenter=highlight.ContextFragmenter(maxchars=240, surround=70),
        formatter=_Marks(),
    )


def segments(marked: str) -> Segments:
    """Split sentinel-marked text into ``(text, hit)`` pairs."""
    out: Segments = []
    for i, part in enumerate(marked.split(_ON)):
        hit, _, rest = part.partition(_OFF) if i else ("", "", part)
        if hit:
            out.append((hit, True))
        if rest:
            out.append((rest, False))
    return out


def lead(text: str, chars: int = 240) -> Segments:
    """The opening of ``text`` (cut at a word boundary) when there is nothing to highlight."""
    if len(text) <= chars:
        return [(text, False)] if text else []
    cut = text.rfind(" ", 0, chars)
    return [(text[: cut if cut > chars // 2 else chars] + " …", False)]


def plain(parts: Segments, on: str = "«", off: str = "»") -> str:
    """Render segments as plain text with hits between ``on`` and ``off``."""
    return "".join(f"{on}{t}{off}" if hit else t for t, hit in parts)
