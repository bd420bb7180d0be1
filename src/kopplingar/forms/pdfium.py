"""PDF pages to pixels with pypdfium2: the one place the project talks to PDFium.

Field values are drawn (``init_forms`` before a page is loaded), so a digitally filled form renders
as a PDF reader prints it. PDFium is not thread-safe: call this from one thread per process.
"""

from __future__ import annotations

import numpy as np

MAX_RENDER_PIXELS = 60_000_000  # an A4 page at 600 dpi is 35 Mpx; anything larger is refused


class RenderError(ValueError):
    """A PDF or page that PDFium cannot open or render within the limits."""


def page_count(pdf_bytes: bytes) -> int:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(pdf_bytes)
    except pdfium.PdfiumError as exc:
        raise RenderError(f"unreadable PDF: {exc}") from exc
    try:
        return len(pdf)
    finally:
        pdf.close()


def render_page(pdf_bytes: bytes, index: int, dpi: float, *, grayscale: bool = True) -> np.ndarray:
    """Page ``index`` at ``dpi`` as a uint8 array: (h, w) grayscale, or (h, w, 3) RGB."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(pdf_bytes)
    except pdfium.PdfiumError as exc:
        raise RenderError(f"unreadable PDF: {exc}") from exc
    try:
        if not 0 <= index < len(pdf):
            raise RenderError(f"page {index} out of range (document has {len(pdf)})")
        pdf.init_forms()
        page = pdf[index]
        try:
            width, height = page.get_size()
            scale = dpi / 72.0
            if width * height * scale * scale > MAX_RENDER_PIXELS:
                raise RenderError(f"page {index} too large to render at {dpi} dpi")
            bitmap = page.render(scale=scale, may_draw_forms=True, grayscale=grayscale)
            array = np.array(bitmap.to_numpy(), copy=True)
        finally:
            page.close()
    finally:
        pdf.close()
    if grayscale:
        return array[:, :, 0] if array.ndim == 3 else array
    if array.ndim == 3 and array.shape[2] >= 3:
        return array[:, :, 2::-1][:, :, :3].copy()  # PDFium gives BGR(A)
    return array
