"""Print-and-capture: a flatbed or feeder scan, a fax, or a phone photo of an upright page.

Each capture maps the 300-dpi master page through one homography (skew, scale, shift, a page put
in upside down, or a phone's perspective) and then degrades the pixels (blur, noise, specks,
uneven light, binarisation). The homography from PDF points to the captured image is returned
as ground truth, with every degradation and its parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from kopplingar.forms.layout import PAGE_HEIGHT, FormLayout
from kopplingar.forms.opencv import cv2_module
from kopplingar.forms.simulator.ink import MASTER_DPI

cv2 = cv2_module()  # through the project's one OpenCV import (its pixel limit set first)

Capture = Literal["scanner", "fax", "phone", "none"]
A4_MM = (210.0, 297.0)


@dataclass
class CaptureSpec:
    """How one page is captured; ``None`` fields are drawn at random from the seed."""

    capture: Capture = "scanner"
    dpi: int = 200
    rotation: float = 0.0  # degrees, counter-clockwise as seen
    upside_down: bool = False
    scale: float = 1.0
    shift_mm: tuple[float, float] = (0.0, 0.0)
    blur: float = 0.0  # Gaussian sigma in output pixels
    noise: float = 0.0  # Gaussian sigma in grey levels
    specks: float = 0.0  # fraction of pixels flipped to dark or light
    binarize: int | None = None  # threshold, for fax-like black and white
    fax_standard: bool = False  # 200 × 100 dpi: every other line dropped
    perspective: float = 0.0  # phone: how far the corners move, as a fraction of the page
    light: float = 0.0  # phone: depth of uneven lighting (0 = even)
    color: bool = False  # phone photos are colour
    paper: float = 250.0  # grey level of blank paper in the capture
    extras: dict[str, Any] = field(default_factory=dict)


def random_capture(
    rng: np.random.Generator, capture: Capture, dpi: int | None = None
) -> CaptureSpec:
    """Typical captures of each kind, with occasional rough ones."""
    big_skew = rng.random() < 0.3
    rotation = float(rng.uniform(-5, 5) if big_skew else rng.normal(0, 0.8))
    rotation = float(np.clip(rotation, -5, 5))
    if capture == "phone":
        return CaptureSpec(
            capture="phone",
            dpi=dpi or int(rng.choice([150, 200])),
            rotation=rotation,
            scale=float(rng.uniform(0.97, 1.03)),
            perspective=float(rng.uniform(0.01, 0.07)),
            light=float(rng.uniform(0.1, 0.45)),
            blur=float(rng.uniform(0.3, 1.3)),
            noise=float(rng.uniform(2, 7)),
            color=bool(rng.random() < 0.8),
            paper=float(rng.uniform(215, 245)),
        )
    if capture == "fax":
        return CaptureSpec(
            capture="fax",
            dpi=200 if dpi is None else dpi,
            rotation=rotation,
            scale=float(rng.uniform(0.98, 1.02)),
            shift_mm=(float(rng.uniform(-3, 3)), float(rng.uniform(-3, 3))),
            blur=float(rng.uniform(0.3, 0.9)),
            noise=float(rng.uniform(3, 12)),
            specks=float(rng.uniform(0.0, 0.0015)),
            binarize=int(rng.integers(120, 175)),
            fax_standard=bool(rng.random() < 0.35),
        )
    return CaptureSpec(
        capture="scanner",
        dpi=dpi or int(rng.choice([150, 200, 300])),
        rotation=rotation,
        upside_down=bool(rng.random() < 0.12),
        scale=float(rng.uniform(0.98, 1.02)),
        shift_mm=(float(rng.uniform(-3, 3)), float(rng.uniform(-3, 3))),
        blur=float(rng.uniform(0, 0.9)),
        noise=float(rng.uniform(0, 5)),
        specks=float(rng.uniform(0, 0.0006)) if rng.random() < 0.4 else 0.0,
        paper=float(rng.uniform(238, 255)),
    )


@dataclass
class Captured:
    image: np.ndarray  # uint8, (h, w) grey or (h, w, 3) RGB
    transform: np.ndarray  # 3 × 3: PDF points (origin bottom-left) -> captured pixels
    rotation: float  # total rotation of the content as seen, degrees (180 for upside down)
    binary: bool
    dpi: int
    degradations: list[dict[str, Any]]


def points_to_master() -> np.ndarray:
    s = MASTER_DPI / 72.0
    return np.array([[s, 0, 0], [0, -s, PAGE_HEIGHT * s], [0, 0, 1]], dtype=np.float64)


def _round(value: float) -> float:
    return round(float(value), 3)


def _geometry(
    spec: CaptureSpec, master_shape: tuple[int, int], rng: np.random.Generator
) -> tuple[np.ndarray, tuple[int, int], list[dict[str, Any]]]:
    """Homography from master pixels to output pixels, and the output size (w, h)."""
    mh, mw = master_shape
    k = spec.dpi / MASTER_DPI
    records: list[dict[str, Any]] = []
    angle = spec.rotation + (180.0 if spec.upside_down else 0.0)
    if spec.capture == "phone":
        # The page lies on a table; the photo frames it with some background all round.
        out_h = round(A4_MM[1] / 25.4 * spec.dpi * 1.12)
        out_w = round(out_h * 0.75)
        page_h = A4_MM[1] / 25.4 * spec.dpi * spec.scale
        page_w = page_h * A4_MM[0] / A4_MM[1]
        c = np.array([out_w / 2, out_h / 2]) + rng.uniform(-0.02, 0.02, 2) * (out_w, out_h)
        half = (
            np.array([[-page_w, -page_h], [page_w, -page_h], [page_w, page_h], [-page_w, page_h]])
            / 2
        )
        theta = np.radians(-angle)
        rot = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
        corners = half @ rot.T + c
        corners += rng.uniform(-1, 1, (4, 2)) * spec.perspective * np.array([page_w, page_h])
        src = np.array([[0, 0], [mw, 0], [mw, mh], [0, mh]], dtype=np.float32)
        h = cv2.getPerspectiveTransform(src, corners.astype(np.float32))
        records.append({"name": "perspective", "amount": _round(spec.perspective)})
        records.append({"name": "rotate", "degrees": _round(spec.rotation)})
        return h, (out_w, out_h), records
    out_w = round(A4_MM[0] / 25.4 * spec.dpi)
    out_h = round(A4_MM[1] / 25.4 * spec.dpi)
    to_center = np.array([[1, 0, -mw / 2], [0, 1, -mh / 2], [0, 0, 1]], dtype=np.float64)
    rot = cv2.getRotationMatrix2D((0, 0), angle, spec.scale * k)
    rot3 = np.vstack([rot, [0, 0, 1]])
    dx = spec.shift_mm[0] / 25.4 * spec.dpi
    dy = spec.shift_mm[1] / 25.4 * spec.dpi
    back = np.array([[1, 0, out_w / 2 + dx], [0, 1, out_h / 2 + dy], [0, 0, 1]], dtype=np.float64)
    h = back @ rot3 @ to_center
    records.append({"name": "rotate", "degrees": _round(spec.rotation)})
    if spec.upside_down:
        records.append({"name": "upside_down"})
    records.append({"name": "scale", "factor": _round(spec.scale)})
    records.append({"name": "shift", "mm": [_round(spec.shift_mm[0]), _round(spec.shift_mm[1])]})
    return h, (out_w, out_h), records


def _table(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """A desk surface behind a photographed page: dark, smooth, a little texture."""
    h, w = shape
    base = rng.uniform(50, 120)
    gy, gx = np.mgrid[0:h, 0:w].astype(np.float32)
    grad = base + rng.uniform(-25, 25) * gx / w + rng.uniform(-25, 25) * gy / h
    texture = cv2.GaussianBlur(rng.normal(0, 18, (h, w)).astype(np.float32), (0, 0), 3)
    return np.asarray(grad + texture, dtype=np.float32)


def _lighting(shape: tuple[int, int], depth: float, rng: np.random.Generator) -> np.ndarray:
    """Multiplicative light: a gradient, a vignette and sometimes a soft shadow."""
    h, w = shape
    gy, gx = np.mgrid[0:h, 0:w].astype(np.float32)
    gx /= w
    gy /= h
    angle = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(angle) * (gx - 0.5) + np.sin(angle) * (gy - 0.5)) + 0.5
    vignette = ((gx - 0.5) ** 2 + (gy - 0.5) ** 2) * 2
    light = 1.0 - depth * (0.6 * ramp + 0.4 * vignette)
    if rng.random() < 0.5:  # the phone's own shadow over a part of the page
        cx, cy, r = rng.uniform(0.2, 0.8), rng.uniform(0.2, 0.8), rng.uniform(0.15, 0.35)
        shadow = np.clip(1 - np.sqrt((gx - cx) ** 2 + (gy - cy) ** 2) / r, 0, 1)
        light -= depth * 0.5 * cv2.GaussianBlur(shadow, (0, 0), max(h, w) * 0.03)
    return np.asarray(np.clip(light, 0.35, 1.05), dtype=np.float32)


def _warp(
    master: np.ndarray,
    spec: CaptureSpec,
    h_master: np.ndarray,
    size: tuple[int, int],
    *,
    rng: np.random.Generator,
    records: list[dict[str, Any]],
) -> np.ndarray:
    """The page moved onto the capture's pixel grid (float32), paper tone and light applied."""
    paper: np.ndarray = master.astype(np.float32) * (spec.paper / 255.0)
    if spec.capture == "phone":  # warp with a mask, so the table shows around the page
        warped = cv2.warpPerspective(paper, h_master, size, flags=cv2.INTER_AREA, borderValue=0)
        ones = np.ones(master.shape[:2], np.float32)
        mask = cv2.warpPerspective(ones, h_master, size, flags=cv2.INTER_LINEAR, borderValue=0)
        image: np.ndarray = warped * mask + _table((size[1], size[0]), rng) * (1 - mask)
        image *= _lighting((size[1], size[0]), spec.light, rng)
        records.append({"name": "uneven_light", "depth": _round(spec.light)})
        return image
    pre = MASTER_DPI / spec.dpi
    if pre > 1.01:  # warpPerspective cannot area-average: shrink first for a clean downscale
        paper = cv2.resize(paper, None, fx=1 / pre, fy=1 / pre, interpolation=cv2.INTER_AREA)
        h_master = h_master @ np.diag([pre, pre, 1.0])
    return np.asarray(
        cv2.warpPerspective(
            paper, h_master, size, flags=cv2.INTER_LINEAR, borderValue=float(spec.paper)
        )
    )


def _degrade(
    image: np.ndarray, spec: CaptureSpec, rng: np.random.Generator, records: list[dict[str, Any]]
) -> tuple[np.ndarray, bool]:
    """Optics and sensor: blur, noise, specks, and a fax's black and white."""
    if spec.blur > 0:
        image = np.asarray(cv2.GaussianBlur(image, (0, 0), spec.blur))
        records.append({"name": "blur", "sigma": _round(spec.blur)})
    if spec.noise > 0:
        image = image + rng.normal(0, spec.noise, image.shape).astype(np.float32)
        records.append({"name": "noise", "sigma": _round(spec.noise)})
    if spec.specks > 0:
        flips = rng.random(image.shape) < spec.specks
        dark = rng.random(image.shape) < 0.7
        image[flips & dark] = rng.uniform(0, 90)
        image[flips & ~dark] = 255
        records.append({"name": "specks", "fraction": _round(spec.specks)})
    if spec.binarize is None:
        return image, False
    if spec.fax_standard:  # 100 lines per inch: every other row dropped, then stretched back
        size = (image.shape[1], image.shape[0])
        image = np.asarray(cv2.resize(image[::2], size, interpolation=cv2.INTER_NEAREST))
        records.append({"name": "fax_standard_resolution", "lines_per_inch": spec.dpi // 2})
    records.append({"name": "binarize", "threshold": spec.binarize})
    return np.where(image < spec.binarize, 0.0, 255.0), True


def capture_page(master: np.ndarray, spec: CaptureSpec, rng: np.random.Generator) -> Captured:
    """Capture one upright master page (uint8, 300 dpi) as ``spec`` says."""
    h_master, size, records = _geometry(spec, master.shape[:2], rng)
    image = _warp(master, spec, h_master, size, rng=rng, records=records)
    records.append({"name": "resample", "dpi": spec.dpi})
    image, binary = _degrade(image, spec, rng, records)
    out: np.ndarray = np.clip(image, 0, 255).round().astype(np.uint8)
    if spec.color:
        tint = np.array(
            [rng.uniform(0.95, 1.05), rng.uniform(0.95, 1.02), rng.uniform(0.85, 0.98)], np.float32
        )
        out = np.clip(out[:, :, None].astype(np.float32) * tint, 0, 255).round().astype(np.uint8)
        records.append({"name": "color_cast", "rgb": [_round(v) for v in tint]})
    transform = h_master @ points_to_master()
    transform /= transform[2, 2]
    rotation = spec.rotation + (180.0 if spec.upside_down else 0.0)
    return Captured(out, transform, rotation, binary, spec.dpi, records)


def no_capture(master: np.ndarray, dpi: int) -> Captured:
    """The page as rendered, only resampled (clean ground truth for tests)."""
    spec = CaptureSpec(capture="none", dpi=dpi, paper=255.0)
    h_master, (out_w, out_h), _ = _geometry(spec, master.shape[:2], np.random.default_rng(0))
    pre = MASTER_DPI / dpi
    if pre > 1.01:
        small = cv2.resize(master, None, fx=1 / pre, fy=1 / pre, interpolation=cv2.INTER_AREA)
        image = cv2.warpPerspective(
            small,
            h_master @ np.diag([pre, pre, 1.0]),
            (out_w, out_h),
            flags=cv2.INTER_LINEAR,
            borderValue=255,
        )
    else:
        image = cv2.warpPerspective(
            master, h_master, (out_w, out_h), flags=cv2.INTER_LINEAR, borderValue=255
        )
    transform = h_master @ points_to_master()
    return Captured(
        image, transform / transform[2, 2], 0.0, False, dpi, [{"name": "resample", "dpi": dpi}]
    )


def visible_markers(layout: FormLayout, transform: np.ndarray, shape: tuple[int, ...]) -> list[int]:
    """Markers whose four corners (and a millimetre of white around them) are inside the image."""
    h, w = shape[:2]
    ids: list[int] = []
    pad = 72 / 25.4  # 1 mm, in points
    for marker in layout.markers:
        r = marker.rect
        corners = np.array(
            [
                [r.x0 - pad, r.y0 - pad, 1],
                [r.x1 + pad, r.y0 - pad, 1],
                [r.x1 + pad, r.y1 + pad, 1],
                [r.x0 - pad, r.y1 + pad, 1],
            ]
        ).T
        mapped = transform @ corners
        xy = mapped[:2] / mapped[2]
        if (xy[0] >= 0).all() and (xy[0] < w).all() and (xy[1] >= 0).all() and (xy[1] < h).all():
            ids.append(marker.id)
    return ids
