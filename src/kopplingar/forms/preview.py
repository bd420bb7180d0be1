"""Page images for the review desk, made in the reading sandbox (never in the web process).

The documents are hostile until read, so the desk asks the same killable child process the workers
use (:mod:`kopplingar.queue.sandbox`, with the same memory and time limits) to decode one page and
hand back a modest grayscale PNG. The page is decoded exactly as the reader decodes it
(:func:`kopplingar.forms.inputs.load_pages`: same orientation, same extents), so the reader's
geometry (:mod:`kopplingar.forms.page_geometry`) fits it after scaling.
"""

from __future__ import annotations

import io

from PIL import Image

from kopplingar.forms.inputs import InputError, Limits, load_pages

PREVIEW_DPI = 150.0  # PDFs are rendered at this resolution
MAX_SIDE = 1800  # image files larger than this are scaled down
TARGET = "kopplingar.forms.preview:render_page_png"


def request_name(page: int, file_name: str | None) -> str:
    """The sandbox passes ``(bytes, name)``: the page number (1-based) travels in the name."""
    return f"{int(page)}|{file_name or 'dokument'}"


def render_page_png(data: bytes, name: str) -> bytes:
    """Page ``n`` (1-based, from ``request_name``) of a document as a grayscale PNG."""
    number_text, _, file_name = name.partition("|")
    number = int(number_text)
    document = load_pages(data, file_name, Limits(pdf_dpi=PREVIEW_DPI))
    if not 1 <= number <= len(document.pages):
        raise InputError("no_such_page", f"page {number} of {len(document.pages)}")
    image = Image.fromarray(document.pages[number - 1].image)
    if max(image.size) > MAX_SIDE:
        image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=6)
    return out.getvalue()
