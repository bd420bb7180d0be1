"""The one place that imports OpenCV, with its decoding limit set first.

OpenCV reads ``OPENCV_IO_MAX_IMAGE_PIXELS`` from the environment, so it must be set before ``cv2``
is imported anywhere in the process; every module of the form reader imports cv2 through here.
"""

from __future__ import annotations

import os
from types import ModuleType

import numpy as np

DEFAULT_MAX_IMAGE_PIXELS = 60_000_000  # 600 dpi A4 is 35 Mpx; more than this is hostile

_cv2: ModuleType | None = None


def cv2_module() -> ModuleType:
    """``cv2``, imported once after the pixel limit and a single thread are configured."""
    global _cv2  # noqa: PLW0603 - a process-wide import cache is what this module is for
    if _cv2 is None:
        os.environ.setdefault("OPENCV_IO_MAX_IMAGE_PIXELS", str(DEFAULT_MAX_IMAGE_PIXELS))
        import cv2

        cv2.setNumThreads(1)
        _cv2 = cv2
    return _cv2


# 8-connected components in a 2 × 2 block: at most one (a pixel touches all three others)
_MAX_16BIT_COMPONENTS = 65_000  # OpenCV stops below 65,535 labels, the background included


def components(mask: np.ndarray) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """``cv2.connectedComponentsWithStats`` (8-connected) of a uint8 mask: count, labels, stats,
    centroids. The labels are 16-bit whenever the mask is too small to hold 65,000 components
    (one per 2 × 2 block at most): the same labels as 32-bit ones, about 2.7 times faster on
    our crops (2,079 calls of 40 dev documents: 123 against 331 ms)."""
    cv2 = cv2_module()
    h, w = mask.shape[:2]
    small = ((h + 1) // 2) * ((w + 1) // 2) < _MAX_16BIT_COMPONENTS
    ltype = cv2.CV_16U if small else cv2.CV_32S
    n, labels, stats, centroids = cv2.connectedComponentsWithStatsWithAlgorithm(
        mask, 8, ltype, cv2.CCL_DEFAULT
    )
    return int(n), labels, stats, centroids
