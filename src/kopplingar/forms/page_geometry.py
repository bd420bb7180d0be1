"""Where the form sits on the page image: the key a reading carries for drawing boxes over a scan.

The contract (filled in by the reader, used by the review desk)::

    reading["geometry"] = {
        "homography": [[h00, h01, h02], [h10, h11, h12], [h20, h21, h22]],
        "image_size": [width_px, height_px],
    }

``homography`` maps a point of the layout, in PDF points with the origin at the bottom-left of the
A4 form (as in :mod:`kopplingar.forms.layout`), to pixel coordinates (origin top-left) of the page
image as the reader decoded it, whose size is ``image_size``. The desk shows the same whole page at
another resolution and scales by ``image_size``, so the reader's dpi does not matter. A reading
without the key (or with an unusable one) is shown without boxes.

Pure Python on purpose: the web process imports it, and it never touches a document.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from kopplingar.forms.layout import FormLayout, Rect

GEOMETRY_KEY = "geometry"
HOMOGRAPHY_KEY = "homography"
IMAGE_SIZE_KEY = "image_size"
MAX_IMAGE_SIDE = 100_000


@dataclass(frozen=True)
class PageGeometry:
    homography: tuple[tuple[float, float, float], ...]
    width: int
    height: int

    def project(self, x: float, y: float) -> tuple[float, float] | None:
        """A layout point (PDF points) in page pixels; None if it maps to infinity."""
        h = self.homography
        w = h[2][0] * x + h[2][1] * y + h[2][2]
        if abs(w) < 1e-12:
            return None
        return (
            (h[0][0] * x + h[0][1] * y + h[0][2]) / w,
            (h[1][0] * x + h[1][1] * y + h[1][2]) / w,
        )

    def quad(self, rect: Rect) -> list[tuple[float, float]] | None:
        """The rectangle's corners on the page (top-left, top-right, bottom-right, bottom-left)."""
        corners = [(rect.x0, rect.y1), (rect.x1, rect.y1), (rect.x1, rect.y0), (rect.x0, rect.y0)]
        points = [self.project(x, y) for x, y in corners]
        if any(p is None for p in points):
            return None
        return [p for p in points if p is not None]

    def bounds(self, rect: Rect, margin: float = 0.0) -> tuple[float, float, float, float] | None:
        """(x, y, width, height) around the rectangle on the page, clipped to the image."""
        quad = self.quad(rect)
        if quad is None:
            return None
        xs, ys = [p[0] for p in quad], [p[1] for p in quad]
        x0, y0 = max(0.0, min(xs) - margin), max(0.0, min(ys) - margin)
        x1, y1 = min(float(self.width), max(xs) + margin), min(float(self.height), max(ys) + margin)
        if x1 - x0 < 1 or y1 - y0 < 1:
            return None
        return (x0, y0, x1 - x0, y1 - y0)


def geometry_dict(homography: Any, image_size: tuple[int, int]) -> dict[str, Any]:
    """The value to store under ``reading["geometry"]``."""
    return {
        HOMOGRAPHY_KEY: [[float(v) for v in row] for row in homography],
        IMAGE_SIZE_KEY: [int(image_size[0]), int(image_size[1])],
    }


def aligned_page(layout: FormLayout, dpi: float) -> dict[str, Any]:
    """The geometry of an upright page rendered from the form's own PDF at ``dpi``."""
    s = dpi / 72.0
    return geometry_dict(
        [[s, 0.0, 0.0], [0.0, -s, layout.page_height * s], [0.0, 0.0, 1.0]],
        layout.page_size_px(dpi),
    )


def page_geometry(reading: dict[str, Any] | None) -> PageGeometry | None:
    """The reading's geometry when present and sane (finite numbers, a usable image size)."""
    raw = (reading or {}).get(GEOMETRY_KEY)
    if not isinstance(raw, dict):
        return None
    matrix, size = raw.get(HOMOGRAPHY_KEY), raw.get(IMAGE_SIZE_KEY)
    try:
        rows = tuple(tuple(float(v) for v in row) for row in matrix)  # type: ignore[union-attr]
        width, height = (int(v) for v in size)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        return None
    if len(rows) != 3 or any(len(r) != 3 for r in rows):
        return None
    if not all(math.isfinite(v) for r in rows for v in r):
        return None
    if not (0 < width <= MAX_IMAGE_SIDE and 0 < height <= MAX_IMAGE_SIDE):
        return None
    return PageGeometry(rows, width, height)  # type: ignore[arg-type]
