"""Captured pages to the files people send: image-only PDF, JPEG, PNG or multi-page TIFF."""

from __future__ import annotations

import io
import time
from typing import Literal

import numpy as np
from PIL import Image

Delivery = Literal["pdf", "jpeg", "png", "tiff"]
EXTENSIONS: dict[str, str] = {
    "pdf": "pdf",
    "jpeg": "jpg",
    "png": "png",
    "tiff": "tif",
    "pdf_form": "pdf",
}
MULTI_PAGE: frozenset[str] = frozenset({"pdf", "tiff"})
_EPOCH = time.gmtime(1_735_689_600)  # fixed dates keep the files byte-for-byte reproducible


def _pil(image: np.ndarray, binary: bool) -> Image.Image:
    if image.ndim == 3:
        return Image.fromarray(image, "RGB")
    pil = Image.fromarray(image, "L")
    return pil.convert("1", dither=Image.Dither.NONE) if binary else pil


def deliver(
    images: list[np.ndarray], binary: list[bool], fmt: Delivery, dpi: int, quality: int
) -> bytes:
    """Encode pages: JPEG (``quality``) for grey and colour, CCITT G4 for black-and-white."""
    if fmt not in MULTI_PAGE and len(images) != 1:
        raise ValueError(f"{fmt} holds one page, not {len(images)}")
    pages = [_pil(img, b) for img, b in zip(images, binary, strict=True)]
    out = io.BytesIO()
    if fmt == "pdf":
        if any(binary):  # Pillow's CCITT G4 path refuses a JPEG quality setting
            pages = [
                p if p.mode == "1" else p.convert("1", dither=Image.Dither.NONE) for p in pages
            ]
            options = {}
        else:
            options = {"quality": quality}
        pages[0].save(
            out,
            "PDF",
            save_all=True,
            append_images=pages[1:],
            resolution=float(dpi),
            creationDate=_EPOCH,
            modDate=_EPOCH,
            producer="kopplingar scan simulator",
            **options,
        )
    elif fmt == "jpeg":
        page = pages[0] if pages[0].mode != "1" else pages[0].convert("L")
        page.save(out, "JPEG", quality=quality, dpi=(dpi, dpi))
    elif fmt == "png":
        pages[0].save(out, "PNG", dpi=(dpi, dpi))
    elif fmt == "tiff":
        compression = "group4" if all(p.mode == "1" for p in pages) else "tiff_lzw"
        pages[0].save(
            out,
            "TIFF",
            save_all=True,
            append_images=pages[1:],
            compression=compression,
            dpi=(dpi, dpi),
        )
    else:
        raise ValueError(f"unknown delivery format {fmt!r}")
    return out.getvalue()
