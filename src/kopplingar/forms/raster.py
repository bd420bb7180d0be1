"""The one wrapper around pypdfium2: open PDF bytes and render pages to grayscale arrays.

PDFium is not thread-safe (not even across documents): call this from one thread per process; the
reader runs in a killable worker process for its wall-time limit. ``init_forms()`` is called before
any page is loaded, otherwise filled AcroForm values render empty.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

POINTS_PER_INCH = 72.0


class PdfOpenError(Exception):
    """The PDF could not be opened; ``reason`` is ``encrypted`` or ``broken``."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@contextmanager
def open_pdf(data: bytes, password: str | None = None) -> Iterator[pdfium.PdfDocument]:
    """Open PDF bytes (PDFium tries the empty user password itself); always closed afterwards."""
    try:
        pdf = pdfium.PdfDocument(data, password=password)
    except pdfium.PdfiumError as exc:
        if getattr(exc, "err_code", None) == pdfium_c.FPDF_ERR_PASSWORD:
            raise PdfOpenError("encrypted", "the PDF is password protected") from exc
        raise PdfOpenError("broken", f"the PDF cannot be opened: {exc}") from exc
    try:
        pdf.init_forms()
        yield pdf
    finally:
        pdf.close()


def page_size_points(pdf: pdfium.PdfDocument, index: int) -> tuple[float, float]:
    """Width and height in points, read without rendering."""
    w, h = pdf.get_page_size(index)
    return float(w), float(h)


def render_page(pdf: pdfium.PdfDocument, index: int, dpi: float) -> np.ndarray:
    """Page ``index`` at ``dpi`` as uint8 grayscale (255 = white), form field values drawn."""
    page = pdf[index]
    try:
        bitmap = page.render(scale=dpi / POINTS_PER_INCH, grayscale=True, may_draw_forms=True)
        try:
            array = np.array(bitmap.to_numpy(), copy=True)
        finally:
            bitmap.close()
    finally:
        page.close()
    if array.ndim == 3:
        array = array[:, :, 0] if array.shape[2] == 1 else array.mean(axis=2).astype(np.uint8)
    return np.ascontiguousarray(array, dtype=np.uint8)


def render_pdf_page(data: bytes, index: int, dpi: float) -> np.ndarray:
    """Open PDF bytes, render one page (field values drawn) and close: for callers holding bytes."""
    with open_pdf(data) as pdf:
        if not 0 <= index < len(pdf):
            raise PdfOpenError("broken", f"page {index} out of range (document has {len(pdf)})")
        return render_page(pdf, index, dpi)
