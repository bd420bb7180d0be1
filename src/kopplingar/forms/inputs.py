"""Turn whatever arrives (PDF, JPEG, PNG, TIFF) into grayscale page images, within hard limits.

Every file is hostile until checked: the type is sniffed from the magic bytes (never the name),
sizes are checked before decoding (Pillow's bomb limit is made an error, OpenCV's is set before it
is imported), and every failure becomes an ``InputError`` with a stable reason code:
``empty``, ``too_large``, ``too_many_pages``, ``unsupported_type``, ``encrypted``, ``broken``.
"""

from __future__ import annotations

import io
import math
import struct
import warnings
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from PIL import Image, ImageOps

from kopplingar.forms import raster
from kopplingar.forms.opencv import DEFAULT_MAX_IMAGE_PIXELS

Kind = Literal["pdf", "png", "jpeg", "tiff"]
REASON_CODES = (
    "empty",
    "too_large",
    "too_many_pages",
    "unsupported_type",
    "encrypted",
    "broken",
)


class InputError(Exception):
    """A file we will not read, with a stable reason code for the case record and the reply."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 40 * 1024 * 1024
    max_pages: int = 30
    max_pixels_per_page: int = DEFAULT_MAX_IMAGE_PIXELS
    pdf_dpi: float = 300.0
    max_page_inches: float = 60.0  # a page side longer than this is not a scanned form


@dataclass(frozen=True)
class Page:
    image: np.ndarray  # uint8 grayscale, 255 = paper
    dpi: float | None  # None when an image file does not say
    text: str = ""  # a PDF page's own text layer (empty for scans and image files)


@dataclass
class Document:
    kind: Kind
    pages: list[Page] = field(default_factory=list)
    pdf_bytes: bytes | None = None  # kept for reading AcroForm field values without OCR
    declared_name: str | None = None


def sniff(data: bytes) -> Kind | None:
    """The file type from its first bytes; PDF headers may sit anywhere in the first 1 KiB."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith((b"II*\x00", b"MM\x00*")):
        return "tiff"
    if b"%PDF-" in data[:1024]:
        return "pdf"
    return None


def load_pages(data: bytes, filename: str | None = None, limits: Limits | None = None) -> Document:
    """Decode ``data`` into page images; raises ``InputError`` for anything it will not read."""
    limits = limits or Limits()
    if not data:
        raise InputError("empty", "the file is empty")
    if len(data) > limits.max_bytes:
        raise InputError("too_large", f"{len(data)} bytes is over the limit of {limits.max_bytes}")
    kind = sniff(data)
    if kind is None:
        raise InputError("unsupported_type", "not a PDF, JPEG, PNG or TIFF file")
    if kind == "pdf":
        doc = _load_pdf(data, limits)
    else:
        doc = Document(kind=kind, pages=_load_image(data, limits))
    doc.declared_name = filename
    return doc


def _load_pdf(data: bytes, limits: Limits) -> Document:
    try:
        with raster.open_pdf(data) as pdf:
            count = len(pdf)
            if count == 0:
                raise InputError("empty", "the PDF has no pages")
            if count > limits.max_pages:
                raise InputError(
                    "too_many_pages", f"{count} pages, the limit is {limits.max_pages}"
                )
            pages = []
            for index in range(count):
                w_pt, h_pt = raster.page_size_points(pdf, index)
                _check_page_geometry(w_pt, h_pt, limits, index)
                image, dpi = raster.page_image(
                    pdf, index, _fitting_dpi(w_pt, h_pt, limits), limits.max_pixels_per_page
                )
                pages.append(Page(image=image, dpi=dpi, text=raster.text_layer(pdf, index)))
    except raster.PdfOpenError as exc:
        raise InputError(exc.reason, str(exc)) from exc
    return Document(kind="pdf", pages=pages, pdf_bytes=data)


def _check_page_geometry(w_pt: float, h_pt: float, limits: Limits, index: int) -> None:
    if not (math.isfinite(w_pt) and math.isfinite(h_pt)) or w_pt < 1 or h_pt < 1:
        raise InputError("broken", f"page {index + 1} has no usable size")
    longest = max(w_pt, h_pt) / raster.POINTS_PER_INCH
    if longest > limits.max_page_inches:
        raise InputError("too_large", f"page {index + 1} is {longest:.0f} inches long")


def _fitting_dpi(w_pt: float, h_pt: float, limits: Limits) -> float:
    """The target dpi, lowered only if a (legal but large) page would exceed the pixel limit."""
    dpi = limits.pdf_dpi
    pixels = (w_pt / 72 * dpi) * (h_pt / 72 * dpi)
    if pixels > limits.max_pixels_per_page:
        dpi *= math.sqrt(limits.max_pixels_per_page / pixels) * 0.999
    return dpi


def _load_image(data: bytes, limits: Limits) -> list[Page]:
    Image.MAX_IMAGE_PIXELS = limits.max_pixels_per_page
    pages: list[Page] = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                frame = 0
                while True:
                    if frame >= limits.max_pages:
                        raise InputError(
                            "too_many_pages", f"more than {limits.max_pages} image frames"
                        )
                    pages.append(_frame_to_page(img, limits, frame))
                    frame += 1
                    try:
                        img.seek(frame)
                    except EOFError:
                        break
    except InputError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise InputError("too_large", f"image over the pixel limit: {exc}") from exc
    except (OSError, ValueError, SyntaxError, MemoryError, IndexError, struct.error) as exc:
        raise InputError("broken", f"the image cannot be decoded: {exc}") from exc
    return pages


def _frame_to_page(img: Image.Image, limits: Limits, frame: int) -> Page:
    w, h = img.size
    if w <= 0 or h <= 0:
        raise InputError("broken", f"frame {frame + 1} has zero size")
    if w * h > limits.max_pixels_per_page:
        raise InputError("too_large", f"frame {frame + 1} is {w}×{h} pixels")
    if img.format == "JPEG" and img.mode == "RGB":
        img.draft("L", img.size)  # the decoder's own luma: no colour conversion (a third faster)
    img.load()
    dpi_info = img.info.get("dpi")
    dpi: float | None = None
    if dpi_info and isinstance(dpi_info, tuple) and dpi_info and float(dpi_info[0]) > 1:
        dpi = float(dpi_info[0])
    upright = ImageOps.exif_transpose(img) if frame == 0 else img
    gray = upright if upright.mode == "L" else upright.convert("L")  # (convert would copy)
    return Page(image=np.array(gray, dtype=np.uint8), dpi=dpi)
