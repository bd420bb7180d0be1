"""Find a form on a page image and warp it upright onto the layout, at a fixed working resolution.

The four ArUco markers carry the form kind in their ids and, through the order of their corners,
the page's orientation: matching every detected corner to the same corner of the layout's marker
gives a homography that also undoes a 90/180/270° rotation, skew and a phone's perspective. With
three or four markers the homography is fitted to all their corners (RANSAC); with two (a marker
cut off or covered) a similarity is fitted instead, which cannot follow perspective but needs fewer
points; with one marker we do not trust the geometry. Detection runs on a reduced copy (it is the
slow part) and the corners are refined on the full image.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from kopplingar.forms.layout import (
    MARKER_IDS,
    MM,
    FormKind,
    FormLayout,
    Rect,
    get_layout,
)
from kopplingar.forms.marks import aruco_dictionary
from kopplingar.forms.opencv import cv2_module

WORK_DPI = 200.0  # the aligned page: comb boxes are ~55 × 71 px, text lines ~71 px high
DETECT_MAX_SIDE = 1200  # detection runs on a copy whose longer side is at most this ...
RETRY_MAX_SIDE = 1800  # ... and again on a finer one when only some of a form's markers were found
REFINE_WINDOW = 2.5  # corners are refined on the full image within this many reduced-copy pixels
REFINE_REACH = 3.5  # a refinement that moved a corner further than this (same unit) is not kept


@dataclass
class Alignment:
    kind: FormKind
    marker_ids: list[int]
    method: str  # "homography" or "similarity"
    to_layout: np.ndarray  # 3 × 3: image pixels -> aligned page pixels at WORK_DPI
    rotation: int  # 0, 90, 180 or 270: how far the page was turned (counter-clockwise)
    reprojection_px: float  # mean corner error after the fit, in aligned pixels
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def quality(self) -> float:
        """0..1: how much the geometry can be trusted (markers found, fit error)."""
        base = {4: 1.0, 3: 0.97, 2: 0.85}.get(len(self.marker_ids), 0.5)
        return base * float(np.clip(1.0 - (self.reprojection_px - 2.0) / 10.0, 0.3, 1.0))


# ArUco thresholds the image once per adaptive window size: OpenCV's default tries 3, 13 and 23 px.
# On the reduced copy (markers of ~47 px) the 23 px window alone found every marker the three did
# on 700 generated dev pages (seeds 640000-640199, 650000-650399), corners within 0.6 px after
# refinement, in 13 instead of 20 ms a page; the finer retry keeps all three.
FIRST_PASS_WINDOWS = (23, 23, 10)  # min, max, step
ALL_WINDOWS = (3, 23, 10)


@lru_cache(maxsize=2)
def _detector(windows: tuple[int, int, int] = ALL_WINDOWS) -> Any:
    cv2 = cv2_module()
    params = cv2.aruco.DetectorParameters()
    params.cornerRefinementMethod = cv2.aruco.CORNER_REFINE_NONE
    low, high, step = windows
    params.adaptiveThreshWinSizeMin = low
    params.adaptiveThreshWinSizeMax = high
    params.adaptiveThreshWinSizeStep = step
    return cv2.aruco.ArucoDetector(aruco_dictionary(), params)


def to_gray(image: np.ndarray) -> np.ndarray:
    cv2 = cv2_module()
    if image.ndim == 3:
        return np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY))
    return np.asarray(image, dtype=np.uint8)


def detect_markers(image: np.ndarray) -> dict[int, np.ndarray]:
    """Marker id -> its four corners (4 × 2, full-image pixels, ArUco's own corner order).

    First on a copy at most ``DETECT_MAX_SIDE`` long (a 200 dpi A4 page at ~100 dpi: markers of
    ~47 px), again at ``RETRY_MAX_SIDE`` when one to three markers were found; the corners are
    then refined on the full image. Against the simulator's true transforms (generated dev pages,
    seeds 640000-640199 and 650000-650249, 385 form pages) this finds every marker the former
    single pass at 1,800 px did, in 21 instead of 32 ms a page, and aligns more closely: mean
    error over the page 0.50 against 0.52 px, 99th percentile 0.90 against 1.13-1.23 px."""
    gray = to_gray(image)
    found = _detect_at(gray, DETECT_MAX_SIDE, FIRST_PASS_WINDOWS)
    if 0 < len(found) < 4 and max(gray.shape) > DETECT_MAX_SIDE:
        finer = _detect_at(gray, RETRY_MAX_SIDE, ALL_WINDOWS)
        if len(finer) > len(found):
            found = finer
    return found


def _shrunk(gray: np.ndarray, scale: float) -> np.ndarray:
    """``gray`` scaled by ``scale`` < 1: averaged over whole blocks of pixels (INTER_AREA by
    the whole factor in ``scale``, OpenCV's fast path), then bilinear for the rest, a factor
    between 1 and 2 (a fractional INTER_AREA costs 5-7 ms on a page, this about 1). The few
    columns and rows a whole factor leaves over at the right and bottom are dropped, so every
    pixel keeps its place. On 693 dev pages (seeds 640000-640299, 655000-655299) the same
    markers as one fractional INTER_AREA, all but 9 of 2,254 corners within 0.05 px after
    refinement (one 0.77 px); 5.8 instead of 11.5 ms a page for the whole detection."""
    cv2 = cv2_module()
    h, w = gray.shape
    whole = int(1.0 / scale)
    if whole >= 2:
        h2, w2 = h // whole, w // whole
        gray = cv2.resize(gray[: h2 * whole, : w2 * whole], (w2, h2), interpolation=cv2.INTER_AREA)
    else:
        whole = 1
    rest = scale * whole
    h2, w2 = gray.shape
    return np.asarray(
        cv2.resize(gray, (round(w2 * rest), round(h2 * rest)), interpolation=cv2.INTER_LINEAR)
    )


def _detect_at(
    gray: np.ndarray, max_side: int, windows: tuple[int, int, int] = ALL_WINDOWS
) -> dict[int, np.ndarray]:
    """Detection on a copy at most ``max_side`` long, corners refined on the full image."""
    cv2 = cv2_module()
    h, w = gray.shape
    scale = min(1.0, max_side / max(h, w))
    small = _shrunk(gray, scale) if scale < 1.0 else gray
    corners, ids, _ = _detector(windows).detectMarkers(small)
    found: dict[int, np.ndarray] = {}
    if ids is None:
        return found
    known = {i for kind_ids in MARKER_IDS.values() for i in kind_ids}
    for quad, marker_id in zip(corners, ids.ravel(), strict=True):
        marker = int(marker_id)
        if marker not in known or marker in found:
            continue
        pts = np.asarray(quad, dtype=np.float32).reshape(4, 2) / scale
        found[marker] = pts
    if found and scale < 1.0:
        pts = np.concatenate(list(found.values())).reshape(-1, 1, 2).astype(np.float32)
        window = max(2, round(REFINE_WINDOW / scale))
        criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 0.05)
        try:
            refined = cv2.cornerSubPix(gray, pts, (window, window), (-1, -1), criteria)
        except cv2.error:
            refined = pts
        # keep a refinement only when it stays close (a corner on a blurred fax can wander)
        moved = np.linalg.norm(refined.reshape(-1, 2) - pts.reshape(-1, 2), axis=1)
        final = np.where(
            (moved < REFINE_REACH / scale)[:, None], refined.reshape(-1, 2), pts.reshape(-1, 2)
        )
        for k, marker in enumerate(list(found)):
            found[marker] = final[4 * k : 4 * k + 4]
    return found


def choose_kind(marker_ids: set[int]) -> FormKind | None:
    """The kind whose markers are in the majority (ties and stray ids give None)."""
    votes = {kind: len(marker_ids & set(ids)) for kind, ids in MARKER_IDS.items()}
    best = max(votes.values())
    winners = [k for k, v in votes.items() if v == best]
    return winners[0] if best > 0 and len(winners) == 1 else None


def _rotation_of(to_layout: np.ndarray) -> int:
    """How the page was turned: the direction of the layout's 'up' in the image."""
    inverse = np.linalg.inv(to_layout)
    a = inverse @ np.array([1000.0, 1000.0, 1.0])
    b = inverse @ np.array([1000.0, 900.0, 1.0])  # 100 px towards the top of the layout
    up = (b[:2] / b[2]) - (a[:2] / a[2])
    angle = float(np.degrees(np.arctan2(-up[1], up[0])))  # image y grows downward
    # upright: up points to -y, i.e. angle 90°
    return round(((angle - 90.0) % 360) / 90.0) % 4 * 90


def align_from_markers(
    markers: dict[int, np.ndarray], layout: FormLayout, dpi: float = WORK_DPI
) -> Alignment | None:
    """The transform to the layout from the detected markers of ``layout.kind`` (None if < 2)."""
    cv2 = cv2_module()
    targets = layout.marker_corners_px(dpi)
    ids = sorted(i for i in markers if i in targets)
    if len(ids) < 2:
        return None
    src = np.concatenate([markers[i] for i in ids]).astype(np.float32)
    dst = np.array([p for i in ids for p in targets[i]], dtype=np.float32)
    matrix: np.ndarray | None
    if len(ids) >= 3:
        method = "homography"
        matrix, _ = cv2.findHomography(src, dst, cv2.RANSAC, 6.0)
    else:
        method = "similarity"
        affine, _ = cv2.estimateAffinePartial2D(src, dst, method=cv2.LMEDS)
        matrix = None if affine is None else np.vstack([affine, [0.0, 0.0, 1.0]])
    if matrix is None or not np.all(np.isfinite(matrix)) or abs(np.linalg.det(matrix)) < 1e-9:
        return None
    projected = cv2.perspectiveTransform(src.reshape(-1, 1, 2), matrix).reshape(-1, 2)
    error = float(np.linalg.norm(projected - dst, axis=1).mean())
    if error > 25.0:  # markers that do not sit where the layout puts them: not this form
        return None
    return Alignment(
        kind=layout.kind,
        marker_ids=ids,
        method=method,
        to_layout=matrix,
        rotation=_rotation_of(matrix),
        reprojection_px=error,
    )


def align_from_quad(
    quad: np.ndarray, target: np.ndarray, kind: FormKind, dpi: float = WORK_DPI
) -> Alignment | None:
    """A similarity from one known quadrilateral (the QR code) when no markers survived."""
    cv2 = cv2_module()
    affine, _ = cv2.estimateAffinePartial2D(
        np.asarray(quad, np.float32), np.asarray(target, np.float32), method=cv2.LMEDS
    )
    if affine is None:
        return None
    matrix = np.vstack([affine, [0.0, 0.0, 1.0]])
    projected = cv2.perspectiveTransform(
        np.asarray(quad, np.float32).reshape(-1, 1, 2), matrix
    ).reshape(-1, 2)
    error = float(np.linalg.norm(projected - np.asarray(target), axis=1).mean())
    return Alignment(kind, [], "qr_similarity", matrix, _rotation_of(matrix), error)


READ_MARGIN_MM = 6.0  # around every mark the reader crops: a comb looks 35 % of a box past it


def read_regions(*layouts: FormLayout) -> list[Rect]:
    """What the reader may crop from the aligned page of any of ``layouts``: fields, tick
    boxes, signature boxes, QR code; a rectangle inside another is left out."""
    rects: list[Rect] = []
    for layout in layouts:
        rects += [f.rect for f in layout.fields]
        rects += [o.rect for f in layout.fields for o in f.options]
        rects += [s.rect for s in layout.signatures]
        rects.append(layout.qr)
    unique = list(dict.fromkeys(rects))
    return [r for r in unique if not any(o is not r and o.contains(r) for o in unique)]


def warp(
    image: np.ndarray,
    alignment: Alignment,
    layout: FormLayout,
    regions: Sequence[Rect] | None = None,
) -> np.ndarray:
    """The page upright on the layout at WORK_DPI (outside the image: white paper). With
    ``regions``, only those rectangles (grown by ``READ_MARGIN_MM``) are warped and the rest of
    the page is left white: the reader crops nothing else, and the regions are about half of
    the page (10 → 6 ms a page on 54 dev pages)."""
    cv2 = cv2_module()
    width, height = layout.page_size_px(WORK_DPI)
    gray = to_gray(image)
    # shrinking a lot: pre-blur so the warp averages instead of picking pixels
    scale = float(np.sqrt(abs(np.linalg.det(alignment.to_layout[:2, :2]))))
    interpolation = cv2.INTER_AREA if scale < 0.6 else cv2.INTER_LINEAR
    if scale < 0.6:
        sigma = 0.5 / scale * 0.6
        gray = cv2.GaussianBlur(gray, (0, 0), sigma)
        interpolation = cv2.INTER_LINEAR

    def warped(x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
        shift = np.array([[1.0, 0.0, -x0], [0.0, 1.0, -y0], [0.0, 0.0, 1.0]])
        return np.asarray(
            cv2.warpPerspective(
                gray,
                shift @ alignment.to_layout,
                (x1 - x0, y1 - y0),
                flags=interpolation,
                borderMode=cv2.BORDER_CONSTANT,
                borderValue=255,
            )
        )

    if regions is None:
        return warped(0, 0, width, height)
    page = np.full((height, width), 255, np.uint8)
    for rect in regions:
        x0, y0, x1, y1 = region_px(layout, rect)
        if x1 > x0 and y1 > y0:
            page[y0:y1, x0:x1] = warped(x0, y0, x1, y1)
    return page


def region_px(layout: FormLayout, rect: Rect) -> tuple[int, int, int, int]:
    """The pixels (x0, y0, x1, y1) of the aligned page that ``warp`` fills for one region."""
    width, height = layout.page_size_px(WORK_DPI)
    box = layout.rect_px(rect.inset(-READ_MARGIN_MM * MM), WORK_DPI)
    x0, y0 = max(int(box.x0), 0), max(int(box.y0), 0)
    x1, y1 = min(int(np.ceil(box.x1)), width), min(int(np.ceil(box.y1)), height)
    return x0, y0, x1, y1


def find_form(image: np.ndarray) -> tuple[Alignment | None, dict[int, np.ndarray]]:
    """Markers on the page and, when they name one form kind, the alignment to its layout."""
    markers = detect_markers(image)
    kind = choose_kind(set(markers))
    if kind is None:
        return None, markers
    # the marker positions do not depend on the version: align to the current layout
    return align_from_markers(markers, get_layout(kind)), markers
