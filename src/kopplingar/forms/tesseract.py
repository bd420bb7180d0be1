"""The one wrapper around tesseract, with Swedish data, one thread and a timeout on every call.

Field crops go through tesserocr's in-process API: one ``TessBaseAPI`` per (language, page
segmentation mode) is kept for the process, so a field costs ~25-30 ms instead of the 75-140 ms a
pytesseract process start costs per call; images are handed over as raw pixels. ``page_text``
reads a whole page the same way, scaled down, for hints on pages that are not our form.
``full_page_text`` uses the tesseract command through pytesseract (a killable process with a
timeout) and is the benchmark's "plain tesseract" baseline.
"""

from __future__ import annotations

import os

os.environ.setdefault(
    "OMP_THREAD_LIMIT", "1"
)  # tesseract's OpenMP threads make it 2-5x slower here

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image

DIGITS = "0123456789"
DEFAULT_TIMEOUT_MS = 5_000
TESSDATA_CANDIDATES = (
    "/usr/share/tesseract-ocr/5/tessdata",
    "/usr/share/tesseract-ocr/4.00/tessdata",
    "/usr/share/tessdata",
    "/usr/local/share/tessdata",
)


class TesseractUnavailableError(RuntimeError):
    """tesseract, tesserocr or the language data is missing: an installation problem, not input."""


class TesseractTimeoutError(RuntimeError):
    """Recognition did not finish in time (tesseract can hang on hostile images)."""


@dataclass(frozen=True)
class LineResult:
    text: str
    confidence: float  # tesseract's mean word confidence mapped to 0..1; not calibrated


@lru_cache(maxsize=1)
def tessdata_dir() -> str:
    configured = os.environ.get("TESSDATA_PREFIX")
    for candidate in (configured, *TESSDATA_CANDIDATES):
        if candidate and (Path(candidate) / "swe.traineddata").exists():
            return str(candidate)
    raise TesseractUnavailableError(
        "Swedish tesseract data (swe.traineddata) not found: apt-get install tesseract-ocr-swe "
        "or set TESSDATA_PREFIX"
    )


_local = threading.local()


def _api(lang: str, psm: int) -> object:
    """A cached tesserocr API for this thread (tesseract instances are not shared across threads)."""
    cache: dict[tuple[str, int], object] = _local.__dict__.setdefault("apis", {})
    key = (lang, psm)
    if key not in cache:
        try:
            import tesserocr
        except ImportError as exc:  # pragma: no cover - depends on the installation
            raise TesseractUnavailableError("tesserocr is not installed") from exc
        path = tessdata_dir()
        if not (Path(path) / f"{lang}.traineddata").exists():
            raise TesseractUnavailableError(
                f"tesseract language data '{lang}' is missing in {path}"
            )
        cache[key] = tesserocr.PyTessBaseAPI(path=path, lang=lang, psm=psm)
    return cache[key]


def _set_image(api: object, img: np.ndarray) -> bytes:
    """Hand a gray (or RGB) image to the API as raw pixels: ``SetImage`` with a PIL image
    encodes it to an image file first, which costs more than recognising a short line. The
    returned buffer must stay alive until recognition is done (tesseract does not copy it)."""
    array = np.asarray(img)
    if array.dtype != np.uint8:
        array = np.clip(array, 0, 255).astype(np.uint8)
    if array.ndim == 3 and array.shape[2] == 4:
        array = array[:, :, :3]
    array = np.ascontiguousarray(array)
    height, width = array.shape[:2]
    channels = 1 if array.ndim == 2 else array.shape[2]
    buffer = array.tobytes()
    api.SetImageBytes(buffer, width, height, channels, width * channels)  # type: ignore[attr-defined]
    return buffer


def _to_pil(img: np.ndarray) -> Image.Image:
    array = np.asarray(img)
    if array.dtype != np.uint8:
        array = np.clip(array, 0, 255).astype(np.uint8)
    return Image.fromarray(array, mode="L" if array.ndim == 2 else None)


def looks_blank(img: np.ndarray) -> bool:
    """No dark pixels worth reading: tesseract would hallucinate a letter or two on noise."""
    array = np.asarray(img)
    return array.size == 0 or int(np.count_nonzero(array < 128)) < max(8, array.size // 2000)


def _invert(api: object, allowed: bool) -> None:
    """Whether tesseract reads an unsure word a second time inverted (its default: yes)."""
    api.SetVariable("tessedit_do_invert", "1" if allowed else "0")  # type: ignore[attr-defined]


def _recognise(api: object, img: np.ndarray, whitelist: str | None, timeout_ms: int) -> LineResult:
    if looks_blank(img):
        return LineResult(text="", confidence=0.99)
    api.SetVariable("tessedit_char_whitelist", whitelist or "")  # type: ignore[attr-defined]
    _invert(api, True)
    _keep = _set_image(api, img)  # alive until Recognize is done
    if not api.Recognize(timeout=timeout_ms):  # type: ignore[attr-defined]
        raise TesseractTimeoutError(f"tesseract gave up after {timeout_ms} ms")
    text = api.GetUTF8Text().strip()  # type: ignore[attr-defined]
    confs = [c for c in api.AllWordConfidences() if c >= 0]  # type: ignore[attr-defined]
    confidence = float(np.mean(confs)) / 100.0 if confs and text else 0.0
    return LineResult(text=" ".join(text.split()), confidence=min(max(confidence, 0.0), 1.0))


PSM_SINGLE_LINE = 7
PSM_SINGLE_WORD = 8
PSM_SINGLE_BLOCK = 6


def ocr_line(
    img: np.ndarray,
    whitelist: str | None = None,
    lang: str = "swe",
    *,
    psm: int = PSM_SINGLE_LINE,
    timeout_ms: int = DEFAULT_TIMEOUT_MS,
) -> tuple[str, float]:
    """Text of one line crop (uint8 gray, dark text on white) and a 0..1 confidence."""
    result = _recognise(_api(lang, psm), img, whitelist, timeout_ms)
    return result.text, result.confidence


def ocr_fields(
    crops: Sequence[np.ndarray],
    whitelists: Sequence[str | None] | None = None,
    lang: str = "swe",
    *,
    psm: int = PSM_SINGLE_LINE,
    timeout_ms: int = DEFAULT_TIMEOUT_MS,
) -> list[LineResult]:
    """Many field crops of one page through one in-process API instance (no process per field)."""
    lists = list(whitelists) if whitelists is not None else [None] * len(crops)
    if len(lists) != len(crops):
        raise ValueError("one whitelist (or None) per crop")
    api = _api(lang, psm)
    return [_recognise(api, crop, wl, timeout_ms) for crop, wl in zip(crops, lists, strict=True)]


HINT_PAGE_PX = 1403  # A4's long side at 120 dpi: printed 9-12 pt text still reads at this size


def page_text(
    img: np.ndarray,
    lang: str = "swe",
    *,
    long_side_px: int = HINT_PAGE_PX,
    timeout_ms: int = DEFAULT_TIMEOUT_MS,
) -> str:
    """The text of a whole page, cheaply: in-process (no process start, no model load, no image
    file), the page scaled down to ``long_side_px`` on its long side and read as one block of
    text (psm 6, no page layout analysis). For hints on pages that are not our form; on the
    generated letters and invoices it found the org numbers the plain command did, and more, at
    about a third of its CPU time."""
    array = np.asarray(img)
    if array.ndim == 3:
        array = array.mean(axis=2).astype(np.uint8)
    if int(np.count_nonzero(array < 128)) < 50:  # (a page is blank only without any ink)
        return ""
    scale = long_side_px / max(array.shape)
    if scale < 1.0:
        from kopplingar.forms.opencv import cv2_module

        cv2 = cv2_module()
        array = cv2.resize(array, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    api = _api(lang, PSM_SINGLE_BLOCK)
    api.SetVariable("tessedit_char_whitelist", "")  # type: ignore[attr-defined]
    _invert(api, True)  # a letterhead may print its number white on a dark band
    _keep = _set_image(api, array)  # alive until Recognize is done
    if not api.Recognize(timeout=timeout_ms):  # type: ignore[attr-defined]
        raise TesseractTimeoutError(f"tesseract gave up after {timeout_ms} ms")
    return str(api.GetUTF8Text())  # type: ignore[attr-defined]


def full_page_text(img: np.ndarray, lang: str = "swe", *, timeout_s: float = 60.0) -> str:
    """Plain full-page tesseract (a separate, killable process): the benchmark's baseline."""
    import pytesseract

    tessdata_dir()  # clear error if the language data is missing
    try:
        return str(pytesseract.image_to_string(_to_pil(img), lang=lang, timeout=timeout_s))
    except RuntimeError as exc:  # pytesseract signals its timeout as RuntimeError
        raise TesseractTimeoutError(str(exc)) from exc
    except pytesseract.TesseractNotFoundError as exc:
        raise TesseractUnavailableError("the tesseract program is not installed") from exc


@dataclass(frozen=True)
class Word:
    text: str
    confidence: float  # 0..1
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 in the image's pixels


def ocr_words(
    img: np.ndarray,
    lang: str = "swe",
    *,
    psm: int = PSM_SINGLE_BLOCK,
    timeout_ms: int = DEFAULT_TIMEOUT_MS,
    dark_on_white: bool = False,
) -> list[Word]:
    """Every word tesseract finds in a crop, with its confidence and bounding box.
    ``dark_on_white``: the crop is binarised dark ink on white, so tesseract need not try each
    unsure word again inverted (white on dark), which it otherwise does."""
    if looks_blank(img):
        return []
    import tesserocr

    api = _api(lang, psm)
    api.SetVariable("tessedit_char_whitelist", "")  # type: ignore[attr-defined]
    _invert(api, not dark_on_white)
    _keep = _set_image(api, img)  # alive until Recognize is done
    if not api.Recognize(timeout=timeout_ms):  # type: ignore[attr-defined]
        raise TesseractTimeoutError(f"tesseract gave up after {timeout_ms} ms")
    words: list[Word] = []
    iterator = api.GetIterator()  # type: ignore[attr-defined]
    level = tesserocr.RIL.WORD
    for item in tesserocr.iterate_level(iterator, level):
        try:
            text = item.GetUTF8Text(level)
            box = item.BoundingBox(level)
        except RuntimeError:  # tesserocr signals an empty element this way
            continue
        if not text or box is None:
            continue
        words.append(Word(text.strip(), float(item.Confidence(level)) / 100.0, tuple(box)))
    return words


def ocr_symbols(
    img: np.ndarray,
    whitelist: str | None = None,
    lang: str = "swe",
    *,
    psm: int = PSM_SINGLE_LINE,
    timeout_ms: int = DEFAULT_TIMEOUT_MS,
    dark_on_white: bool = False,
) -> list[Word]:
    """Every character tesseract reads in a line crop, with its confidence and bounding box
    (``dark_on_white`` as for ``ocr_words``)."""
    if looks_blank(img):
        return []
    import tesserocr

    api = _api(lang, psm)
    api.SetVariable("tessedit_char_whitelist", whitelist or "")  # type: ignore[attr-defined]
    _invert(api, not dark_on_white)
    _keep = _set_image(api, img)  # alive until Recognize is done
    if not api.Recognize(timeout=timeout_ms):  # type: ignore[attr-defined]
        raise TesseractTimeoutError(f"tesseract gave up after {timeout_ms} ms")
    out: list[Word] = []
    level = tesserocr.RIL.SYMBOL
    for item in tesserocr.iterate_level(api.GetIterator(), level):  # type: ignore[attr-defined]
        try:
            text = item.GetUTF8Text(level)
            box = item.BoundingBox(level)
        except RuntimeError:
            continue
        if text and box is not None:
            out.append(Word(text.strip(), float(item.Confidence(level)) / 100.0, tuple(box)))
    return out
