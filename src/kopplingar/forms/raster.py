"""The one wrapper around pypdfium2: open PDF bytes and render pages to grayscale arrays.

A scanned page (one upright image covering it, nothing else) is taken as the scan's own pixels,
only shrunk when finer than asked for: about a fifth of the time a render takes (the image is
decoded either way) and no resampling of scans at or below the asked resolution.

PDFium is not thread-safe (not even across documents): call this from one thread per process; the
reader runs in a killable worker process for its wall-time limit. ``init_forms()`` is called before
any page is loaded, otherwise filled AcroForm values render empty.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from kopplingar.forms.opencv import DEFAULT_MAX_IMAGE_PIXELS, cv2_module

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


_GRAY_OR_RGB = {
    (1, pdfium_c.FPDF_COLORSPACE_DEVICEGRAY),
    (8, pdfium_c.FPDF_COLORSPACE_DEVICEGRAY),
    (24, pdfium_c.FPDF_COLORSPACE_DEVICERGB),
}
_NATIVE_SLACK = 1.05  # a scan up to 5 % finer than asked for is taken as it is, finer is shrunk


def page_image(
    pdf: pdfium.PdfDocument, index: int, dpi: float, max_pixels: int = DEFAULT_MAX_IMAGE_PIXELS
) -> tuple[np.ndarray, float]:
    """Page ``index`` as uint8 grayscale and its resolution: the scan's own pixels when the page
    is only one upright image (see ``scan_pixels``), else rendered at ``dpi``."""
    page = pdf[index]
    try:
        native = scan_pixels(page, dpi, max_pixels)
    finally:
        page.close()
    return native if native is not None else (render_page(pdf, index, dpi), dpi)


def scan_pixels(
    page: pdfium.PdfPage, dpi: float, max_pixels: int = DEFAULT_MAX_IMAGE_PIXELS
) -> tuple[np.ndarray, float] | None:
    """The pixels of a page that is nothing but one scanned image: no annotations or form fields
    (a render draws those), no page rotation, an axis-aligned image covering the crop box, gray
    or RGB in 1 or 8 bits a sample, the same resolution both ways, within the pixel limit.
    A scan finer than ``dpi`` is shrunk to it (area averaging). None when any of this does not
    hold: the page is rendered instead."""
    if page.get_rotation() != 0 or pdfium_c.FPDFPage_GetAnnotCount(page) != 0:
        return None
    objects = list(itertools.islice(page.get_objects(max_depth=1), 2))  # one is all we take
    if len(objects) != 1 or objects[0].type != pdfium_c.FPDF_PAGEOBJ_IMAGE:
        return None
    image = objects[0]
    matrix = image.get_matrix()
    left, bottom, right, top = page.get_cropbox()
    if abs(matrix.b) > 1e-6 or abs(matrix.c) > 1e-6 or matrix.a <= 0 or matrix.d <= 0:
        return None
    if max(abs(matrix.e - left), abs(matrix.f - bottom)) > 1.0:
        return None
    if max(abs(matrix.a - (right - left)), abs(matrix.d - (top - bottom))) > 1.0:
        return None
    meta = image.get_metadata()
    if (meta.bits_per_pixel, meta.colorspace) not in _GRAY_OR_RGB:
        return None
    width_px, height_px = image.get_px_size()
    dpi_x = width_px / (matrix.a / POINTS_PER_INCH)
    dpi_y = height_px / (matrix.d / POINTS_PER_INCH)
    if abs(dpi_x - dpi_y) > 0.01 * dpi_x or width_px * height_px > max_pixels:
        return None
    bitmap = image.get_bitmap(render=False)  # PDFium's own buffer: freed by its finalizer
    if bitmap.format not in (pdfium_c.FPDFBitmap_Gray, pdfium_c.FPDFBitmap_BGR):
        return None
    array = np.array(bitmap.to_numpy(), copy=True)
    if array.shape[:2] != (height_px, width_px):
        return None
    cv2 = cv2_module()
    if array.ndim == 3:
        array = cv2.cvtColor(array, cv2.COLOR_BGR2GRAY)
    if float(np.median(array[::16, ::16])) < 128:  # paper is light: a negative was meant otherwise
        return None
    if dpi_x > dpi * _NATIVE_SLACK:
        scale = dpi / dpi_x
        size = (max(1, round(width_px * scale)), max(1, round(height_px * scale)))
        return np.asarray(cv2.resize(array, size, interpolation=cv2.INTER_AREA)), dpi
    return np.ascontiguousarray(array, dtype=np.uint8), float(dpi_x)


TEXT_LAYER_MAX_CHARS = 20_000  # a page of a letter holds ~3,000; more is not worth reading


def text_layer(pdf: pdfium.PdfDocument, index: int) -> str:
    """The text a PDF page carries as text (a letter or invoice made on a computer, or a scan a
    scanner already read): empty for a plain scan."""
    page = pdf[index]
    try:
        textpage = page.get_textpage()
        try:
            count = min(textpage.count_chars(), TEXT_LAYER_MAX_CHARS)
            return str(textpage.get_text_range(0, count)) if count > 0 else ""
        finally:
            textpage.close()
    finally:
        page.close()


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
