"""Synthetic letters as PDF, encrypted like the public letters (AES, empty user password, owner password set).

Each physical line is placed where it stands on the page, so ``pypdf`` extracts the same lines back; blank
lines are written as a single space, as word processors leave them. Helvetica (a PDF core font) keeps the
files small. The bytes differ between runs because AES encryption draws a fresh random IV; the text inside
is deterministic.
"""

from __future__ import annotations

import datetime as dt

from fpdf import FPDF
from fpdf.enums import EncryptionMethod

PAGE_W, PAGE_H = 612.0, 792.0  # US Letter, points
MARGIN = 60.0
TOP = 60.0
FONT = "Helvetica"
SIZE = 10.0
#: Fixed creation date: the PDF says nothing about when it was generated.
CREATED = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)


def _latin1(line: str) -> str:
    """Core fonts are Latin-1: anything else becomes '?', which the vocabulary never needs."""
    return line.encode("latin-1", "replace").decode("latin-1")


def letter_pdf(pages: list[list[str]], *, title: str, owner_password: str) -> bytes:
    """One PDF page per list of lines; returns the encrypted file's bytes."""
    pdf = FPDF(unit="pt", format="letter")
    pdf.set_auto_page_break(False)
    pdf.set_creation_date(CREATED)
    pdf.set_title(title)
    pdf.set_author("imrkb synth")
    pdf.set_creator("imrkb synth (synthetic letter, not a real decision)")
    pdf.set_encryption(
        owner_password=owner_password, user_password="", encryption_method=EncryptionMethod.AES_128
    )
    usable_w = PAGE_W - 2 * MARGIN
    usable_h = PAGE_H - TOP - 50.0
    for lines in pages:
        pdf.add_page()
        step = min(SIZE * 1.25, usable_h / max(1, len(lines)))
        size = min(SIZE, step / 1.15)
        y = TOP
        for line in lines:
            text = _latin1(line) if line.strip() else " "
            pdf.set_font(FONT, size=size)
            width = pdf.get_string_width(text)
            if width > usable_w:  # shrink a long line rather than let it run off the page
                pdf.set_font(FONT, size=size * usable_w / width)
            pdf.set_xy(MARGIN, y)
            pdf.cell(text=text)
            y += step
    return bytes(pdf.output())
