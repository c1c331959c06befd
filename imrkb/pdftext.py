"""Text out of letter files: PDF (encrypted ones with an empty user password included) or plain text.

Raises :class:`~imrkb.errors.LetterError` naming the file for anything that is not a readable letter.
PDF metadata (the public letters carry an author name) is never read into a record.
"""

from __future__ import annotations

import logging
from pathlib import Path

from .errors import LetterError

_NEEDS_PASSWORD = "encrypted PDF that needs a password (letters open with an empty one)"
#: Largest file we agree to read (the real letters are 2-5 pages, well under 1 MB).
MAX_BYTES = 20 * 1024 * 1024


def pdf_text(data: bytes, name: str) -> tuple[str, int]:
    """(text, pages) of a PDF's bytes, pages joined with form feeds.

    PDFium (pypdfium2) first: about ten times faster than pypdf on the public letters, with the same
    parse. pypdf second, for files PDFium refuses; the error names the file if both fail.
    """
    try:
        return _pdfium_text(data, name)
    except LetterError as first:
        try:
            return _pypdf_text(data, name)
        except LetterError:
            raise first from None


def _pdfium_text(data: bytes, name: str) -> tuple[str, int]:
    import pypdfium2 as pdfium

    try:
        doc = pdfium.PdfDocument(data, password="")
    except pdfium.PdfiumError as e:
        if "password" in str(e).lower():
            raise LetterError(name, _NEEDS_PASSWORD) from e
        raise LetterError(name, f"not a readable PDF ({e})") from e
    try:
        pages = []
        for i in range(len(doc)):
            page = doc[i]
            textpage = page.get_textpage()
            pages.append(textpage.get_text_range())
            textpage.close()
            page.close()
        return "\f".join(pages), len(pages)
    except pdfium.PdfiumError as e:
        raise LetterError(name, f"not a readable PDF ({e})") from e
    finally:
        doc.close()


def _pypdf_text(data: bytes, name: str) -> tuple[str, int]:
    import io

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise LetterError(name, _NEEDS_PASSWORD)
        pages = [page.extract_text() or "" for page in reader.pages]
    except LetterError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError) as e:
        raise LetterError(name, f"not a readable PDF ({type(e).__name__}: {e})") from e
    except Exception as e:  # pypdf raises many internal types on damaged files
        raise LetterError(name, f"not a readable PDF ({type(e).__name__}: {e})") from e
    return "\f".join(pages), len(pages)


def text_of(data: bytes, name: str) -> tuple[str, int | None]:
    """(text, pages) of a letter's bytes: PDF by signature, else UTF-8 (or Latin-1) text."""
    if not data.strip():
        raise LetterError(name, "empty file")
    if data.lstrip()[:5] == b"%PDF-":
        return pdf_text(data, name)
    if b"\x00" in data[:4096]:
        raise LetterError(name, "binary file: neither a PDF nor text")
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        text = data.decode("latin-1")
        printable = sum(ch.isprintable() or ch in "\n\r\t\f" for ch in text[:4096])
        if printable < 0.95 * min(len(text), 4096):
            raise LetterError(name, "binary file: neither a PDF nor text") from None
        return text, None


def read_bytes(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise LetterError(str(path), f"file too large for a letter ({size} bytes)")
        return path.read_bytes()
    except IsADirectoryError as e:
        raise LetterError(str(path), "is a folder, not a letter file") from e
    except FileNotFoundError as e:
        raise LetterError(str(path), "no such file") from e
    except PermissionError as e:
        raise LetterError(str(path), "permission denied") from e
