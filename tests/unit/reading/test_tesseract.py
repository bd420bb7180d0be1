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


def test_page_text_reads_a_scaled_down_page_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    # an A4 page at 200 dpi with one 10 pt line: read in this process (no tesseract command)
    monkeypatch.setattr("pytesseract.image_to_string", _no_process)
    page = np.full((2339, 1654), 255, np.uint8)
    line = _line("Org.nr 556036-0793", 28)
    page[300 : 300 + line.shape[0], 120 : 120 + line.shape[1]] = line
    assert "556036-0793" in tesseract.page_text(page)
    assert tesseract.page_text(np.full((2339, 1654), 250, np.uint8)) == ""


def _no_process(*_args: object, **_kwargs: object) -> str:
    raise AssertionError("a tesseract process was started")


def test_raw_pixels_read_like_the_image_file() -> None:
    # the API gets raw pixels; a copy that is not contiguous reads the same
    img = _line("Karl Svensson")
    wide = np.hstack([img, np.full_like(img, 255)])[:, : img.shape[1]]
    assert not wide.flags["C_CONTIGUOUS"]
    assert tesseract.ocr_line(wide)[0] == "Karl Svensson"
    assert tesseract.ocr_line(img.astype(np.float32))[0] == "Karl Svensson"


def test_a_name_in_a_wide_box_is_read_from_its_inked_columns_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from kopplingar.forms import fields

    name = _line("Karl Svensson")
    crop = np.full((name.shape[0], 1400), 255, np.uint8)
    crop[:, 300 : 300 + name.shape[1]] = name
    seen: list[tuple[int, int]] = []
    real = tesseract.ocr_words

    def spy(img: np.ndarray, *args: object, **kwargs: object) -> list[tesseract.Word]:
        seen.append(img.shape)
        return real(img, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(tesseract, "ocr_words", spy)
    assert fields._line_words(crop, "swe").text == "Karl Svensson"
    ink = np.flatnonzero((name < 128).any(axis=0))
    assert seen[0][1] == ink[-1] - ink[0] + 1 + 2 * 12  # the ink and a 12 px margin each side
    blank = np.full((60, 900), 255, np.uint8)
    assert fields._ink_columns(blank) is blank


def test_only_binarised_dark_on_white_crops_skip_the_inverted_second_reading() -> None:
    # white letters on a dark band: read by default (tesseract tries the word inverted) ...
    band = np.pad(255 - _line("Karl Svensson"), 20, constant_values=255)
    words = tesseract.ocr_words(band, psm=tesseract.PSM_SINGLE_LINE)
    assert " ".join(w.text for w in words) == "Karl Svensson"
    # ... not when the caller promises dark ink on white (cleaned field crops), which saves
    # tesseract that second reading of every unsure word
    unsure = tesseract.ocr_words(band, psm=tesseract.PSM_SINGLE_LINE, dark_on_white=True)
    assert " ".join(w.text for w in unsure) != "Karl Svensson"
    assert tesseract.ocr_words(band, psm=tesseract.PSM_SINGLE_LINE)  # the default is back
    plain = _line("Karl Svensson")
    assert (
        tesseract.ocr_words(plain, psm=tesseract.PSM_SINGLE_LINE, dark_on_white=True)[0].text
        == "Karl"
    )


@pytest.mark.parametrize("junk", ["—___—— -", "I"])  # dashes; one letter (a border's remnant)
def test_a_text_field_read_as_dashes_or_one_letter_has_no_value(
    junk: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kopplingar.forms import fields
    from kopplingar.forms.layout import get_layout

    layout, dpi = get_layout("connect"), 200.0
    page = np.full((2339, 1654), 255, np.uint8)
    for name in fields.TEXT_FIELDS:
        box = layout.rect_px(layout.field(name).rect, dpi)
        y = round((box.y0 + box.y1) / 2)
        for x in range(round(box.x0) + 40, round(box.x0) + 400, 40):
            page[y - 12 : y + 12, x : x + 14] = 0  # short strokes: ink that is no box line
    reads = {"eng": tesseract.LineResult(junk, 0.6), "swe": tesseract.LineResult("Al", 0.9)}
    monkeypatch.setattr(fields, "_line_words", lambda crop, lang: reads[lang])
    out = fields.read_texts(page, layout, dpi)
    assert out["contact_email"].value is None and out["contact_email"].confidence == 0.3
    assert out["company_name"].value == "Al"  # two letters are enough


def test_a_text_line_is_read_in_gray_without_the_borders_remnants() -> None:
    from kopplingar.forms import fields

    text = _line("anna-karin_berg@lilla.se", size=22)
    crop = np.full((text.shape[0] + 40, text.shape[1]), 235, np.uint8)  # grey paper
    crop[20:-20] = np.minimum(crop[20:-20], text)
    for x in range(0, crop.shape[1] - 30, 45):  # a broken box border above and below the line
        crop[3:5, x : x + 30] = 40
    for x in range(0, crop.shape[1] - 10, 14):  # a jagged one: short steps, none 12 px long
        crop[-6 + (x // 14) % 2 : -3 + (x // 14) % 2, x : x + 10] = 40
    image = fields._text_line_image(crop)
    inner = image[12:-12, 12:-12]
    assert image.shape == (crop.shape[0] + 24, crop.shape[1] + 24)
    assert inner[:8].min() == 255 and inner[-8:].min() == 255  # the dashes are gone
    edges = inner[(inner > 40) & (inner < 215)]
    assert edges.size > 100  # anti-aliased letter edges kept, not thresholded away
    line = fields._line_words(image, "eng")
    assert line.text == "anna-karin_berg@lilla.se"  # hyphen and underscore kept on the line


def test_a_line_single_line_mode_gives_up_on_is_read_as_a_block() -> None:
    """A typed name cropped from a generated dev scan (seed 640109, bureau signer), remains of
    its box border above and below: tesseract's single-line mode finds no word in it at all."""
    from pathlib import Path

    from kopplingar.forms import fields

    crop = np.array(
        Image.open(Path(__file__).parent / "data" / "line-single-line-mode-gives-up.png")
    )
    image = fields._text_line_image(crop)
    single = tesseract.ocr_words(
        fields._ink_columns(image), "swe", psm=tesseract.PSM_SINGLE_LINE, dark_on_white=True
    )
    assert not any(w.text for w in single)  # the case this retry is for
    assert fields._line_words(image, "swe").text == "Oskar Lundqvist"
