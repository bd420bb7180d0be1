"""tesseract with Swedish data reads rendered printed lines and whitelisted digits."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from kopplingar.forms import tesseract

pytestmark = pytest.mark.timeout(60)
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def _line(text: str, size: int = 36) -> np.ndarray:
    font = ImageFont.truetype(FONT, size)
    img = Image.new("L", (40 + int(size * 0.7 * len(text)), size * 2), 255)
    ImageDraw.Draw(img).text((15, size // 3), text, font=font, fill=0)
    return np.array(img)


def test_printed_swedish_name_line() -> None:
    text, confidence = tesseract.ocr_line(_line("Åsa Öberg Ängström"))
    assert text == "Åsa Öberg Ängström" and confidence > 0.7


def test_digits_with_a_whitelist() -> None:
    text, confidence = tesseract.ocr_line(_line("5560360793"), whitelist=tesseract.DIGITS)
    assert text == "5560360793" and confidence > 0.7
    text, _ = tesseract.ocr_line(_line("556036-0793"), whitelist=tesseract.DIGITS + "-")
    assert text == "556036-0793"
    # without the hyphen in the whitelist tesseract cannot match it and says so
    text, confidence = tesseract.ocr_line(_line("556036-0793"), whitelist=tesseract.DIGITS)
    assert text == "5560360793" and confidence < 0.5


def test_blank_crop_reads_as_nothing() -> None:
    assert tesseract.ocr_line(np.full((60, 400), 250, np.uint8)) == ("", 0.99)


def test_many_fields_of_a_page_in_one_api_instance() -> None:
    crops = [_line("Karl Svensson"), _line("1234567"), _line("Göteborg")]
    results = tesseract.ocr_fields(crops, [None, tesseract.DIGITS, None])
    assert [r.text for r in results] == ["Karl Svensson", "1234567", "Göteborg"]
    assert all(0 <= r.confidence <= 1 for r in results)


def test_full_page_text() -> None:
    page = np.full((600, 900), 255, np.uint8)
    page[100:172, 50 : 50 + _line("Bortkoppling av byrå").shape[1]] = _line("Bortkoppling av byrå")
    assert "Bortkoppling av byrå" in tesseract.full_page_text(page)
