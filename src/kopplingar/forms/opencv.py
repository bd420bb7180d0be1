"""The one place that imports OpenCV, with its decoding limit set first.

OpenCV reads ``OPENCV_IO_MAX_IMAGE_PIXELS`` from the environment, so it must be set before ``cv2``
is imported anywhere in the process; every module of the form reader imports cv2 through here.
"""

from __future__ import annotations

import os
from types import ModuleType

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
