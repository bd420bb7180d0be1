"""Hostile and ordinary inputs: each bad file gives its stable reason code, never a crash."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from kopplingar.forms.inputs import InputError, Limits, load_pages, sniff

pytestmark = pytest.mark.timeout(60)
FAST = Limits(pdf_dpi=72)


def _pdf(pages: int = 1, text: str = "Blankett") -> bytes:
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=A4)
    for i in range(pages):
        c.setFont("Helvetica", 40)
        c.drawString(100, 700, f"{text} {i + 1}")
        c.showPage()
    c.save()
    return buffer.getvalue()


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return (
        struct.pack(">I", len(payload))
        + kind
        + payload
        + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)
    )


def _image_bytes(fmt: str, size: tuple[int, int] = (40, 30), **kwargs: object) -> bytes:
    buffer = io.BytesIO()
    Image.new("L", size, 200).save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


def _code(data: bytes, filename: str | None = None, limits: Limits = FAST) -> str:
    with pytest.raises(InputError) as info:
        load_pages(data, filename, limits)
    return info.value.code


def test_pdf_pages_render_gray_at_the_target_dpi_and_keep_the_bytes() -> None:
    data = _pdf(pages=2)
    doc = load_pages(data, "form.pdf", Limits(pdf_dpi=100))
    assert doc.kind == "pdf" and doc.pdf_bytes == data and len(doc.pages) == 2
    page = doc.pages[0]
    assert page.image.dtype == np.uint8 and page.image.ndim == 2
    assert abs(page.image.shape[0] - A4[1] / 72 * 100) <= 1
    assert abs(page.image.shape[1] - A4[0] / 72 * 100) <= 1
    assert page.dpi == 100 and page.image.min() < 50 and np.median(page.image) == 255


def _scan_pdf(page: Image.Image, dpi: float) -> bytes:
    buffer = io.BytesIO()
    page.save(buffer, "PDF", resolution=dpi)
    return buffer.getvalue()


def _scan(width: int, height: int) -> Image.Image:
    """A light page with dark strokes and a grey ramp: enough detail to tell pixels apart."""
    rng = np.random.default_rng(3)
    pixels = np.full((height, width), 235, np.uint8)
    pixels[:, : width // 4] = np.linspace(150, 250, height, dtype=np.uint8)[:, None]
    for _ in range(40):
        y, x = rng.integers(0, height - 8), rng.integers(0, width - 60)
        pixels[y : y + 3, x : x + 60] = 20
    return Image.fromarray(pixels, "L")


@pytest.mark.parametrize("mode", ["L", "RGB", "1"])
def test_a_scanned_pdf_page_gives_the_scan_s_own_pixels(mode: str) -> None:
    """One upright image covering the page: its pixels as they are (no render, no resampling),
    with the scan's own resolution, whatever the asked one above it."""
    scan = _scan(330, 470)  # A4-ish at 40 dpi
    image = scan.convert(mode) if mode != "1" else scan.point(lambda v: 255 if v > 128 else 0, "1")
    doc = load_pages(_scan_pdf(image, 40), "scan.pdf", Limits(pdf_dpi=100))
    page = doc.pages[0]
    assert page.dpi == pytest.approx(40)
    expected = np.asarray(image.convert("L"), np.int16)
    assert page.image.shape == expected.shape
    assert np.abs(page.image.astype(np.int16) - expected).mean() < 4  # JPEG: decoders differ a bit


def test_a_scan_finer_than_asked_is_shrunk_and_anything_else_on_the_page_is_rendered() -> None:
    scan = _scan(660, 940)  # 80 dpi
    doc = load_pages(_scan_pdf(scan, 80), "fine.pdf", Limits(pdf_dpi=40))
    assert doc.pages[0].dpi == 40 and doc.pages[0].image.shape == (470, 330)
    # the same scan with a black patch drawn over it: rendered, so the patch is there
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=(330 * 72 / 40, 470 * 72 / 40))
    png = io.BytesIO()
    _scan(330, 470).save(png, "PNG")
    png.seek(0)
    c.drawImage(ImageReader(png), 0, 0, width=330 * 72 / 40, height=470 * 72 / 40)
    c.rect(100, 100, 200, 200, fill=1, stroke=0)  # points: pixels 55-166 across, 303-414 down
    c.showPage()
    c.save()
    page = load_pages(buffer.getvalue(), "patched.pdf", Limits(pdf_dpi=40)).pages[0]
    plain = load_pages(_scan_pdf(_scan(330, 470), 40), "plain.pdf", Limits(pdf_dpi=40)).pages[0]
    assert page.dpi == 40 and page.image.shape == plain.image.shape == (470, 330)
    assert page.image[320:400, 70:150].mean() < 10
    assert plain.image[320:400, 70:150].mean() > 100


def test_filled_acroform_values_are_rendered() -> None:
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=A4)
    c.acroForm.textfield(name="orgnr", x=100, y=600, width=300, height=40, value="")
    c.showPage()
    c.save()
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(buffer.getvalue())))
    writer.update_page_form_field_values(
        writer.pages[0], {"orgnr": "5560360793"}, auto_regenerate=False
    )
    filled = io.BytesIO()
    writer.write(filled)
    page = load_pages(filled.getvalue(), None, Limits(pdf_dpi=72)).pages[0].image
    field = page[round(A4[1] - 640) : round(A4[1] - 600), 100:400]
    assert (field < 128).sum() > 50  # the value is drawn, not an empty box


def test_empty_file() -> None:
    assert _code(b"") == "empty"


def test_unknown_bytes_are_unsupported_whatever_the_name() -> None:
    assert _code(b"GIF89a" + b"\0" * 100, "scan.pdf") == "unsupported_type"
    assert _code(b"hello, this is not a scan", "scan.png") == "unsupported_type"


def test_a_jpeg_named_pdf_is_read_as_a_jpeg() -> None:
    doc = load_pages(_image_bytes("JPEG"), "blankett.pdf", FAST)
    assert doc.kind == "jpeg" and doc.pdf_bytes is None and doc.pages[0].image.shape == (30, 40)


def test_png_keeps_native_resolution_and_dpi() -> None:
    doc = load_pages(_image_bytes("PNG", (300, 200), dpi=(200, 200)), None, FAST)
    assert doc.pages[0].image.shape == (200, 300) and round(doc.pages[0].dpi or 0) == 200


def test_too_many_bytes() -> None:
    assert _code(_pdf(), limits=Limits(max_bytes=100)) == "too_large"


def test_truncated_pdf_is_broken() -> None:
    data = _pdf()
    assert _code(data[: len(data) // 3]) in {"broken", "empty"}
    assert _code(b"%PDF-1.7\n" + b"\x00garbage" * 50) in {"broken", "empty"}


def test_encrypted_pdf_with_a_user_password_is_refused_but_an_owner_only_one_opens() -> None:
    def encrypted(user: str) -> bytes:
        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(_pdf())))
        writer.encrypt(user_password=user, owner_password="owner-secret", algorithm="RC4-128")
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()

    assert _code(encrypted("secret")) == "encrypted"
    assert len(load_pages(encrypted(""), None, FAST).pages) == 1


def test_pdf_with_too_many_pages() -> None:
    assert _code(_pdf(pages=4), limits=Limits(pdf_dpi=72, max_pages=3)) == "too_many_pages"


def test_png_bomb_header_is_refused_before_decoding() -> None:
    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\0" * 1000)
    data = (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )
    assert _code(data) == "too_large"
    # just over the configured limit, under Pillow's hard error: the warning is made an error
    assert (
        _code(_image_bytes("PNG", (120, 100)), limits=Limits(max_pixels_per_page=10_000))
        == "too_large"
    )


def test_multi_page_tiff_frames_are_capped() -> None:
    frames = [Image.new("L", (20, 20), 255 - i) for i in range(12)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="TIFF", save_all=True, append_images=frames[1:])
    data = buffer.getvalue()
    assert len(load_pages(data, None, Limits(max_pages=12)).pages) == 12
    assert _code(data, limits=Limits(max_pages=5)) == "too_many_pages"


def test_truncated_images_are_broken() -> None:
    noise = np.random.default_rng(0).integers(0, 255, (200, 200), dtype=np.uint8)
    for fmt in ("JPEG", "PNG"):
        buffer = io.BytesIO()
        Image.fromarray(noise).save(buffer, format=fmt)
        data = buffer.getvalue()
        assert _code(data[: len(data) // 2]) == "broken"


def test_sniffing_ignores_names() -> None:
    assert sniff(b"%PDF-1.4 ...") == "pdf"
    assert sniff(b"\xef\xbb\xbf junk then %PDF-1.4") == "pdf"
    assert sniff(b"II*\x00....") == "tiff" and sniff(b"MM\x00*....") == "tiff"
    assert sniff(b"PK\x03\x04") is None


def test_a_colour_jpeg_is_decoded_to_its_gray_luma() -> None:
    rng = np.random.default_rng(3)
    colours = rng.integers(0, 256, (60, 80, 3), dtype=np.uint8)
    rgb = Image.fromarray(np.kron(colours, np.ones((4, 4, 1), np.uint8)))
    buffer = io.BytesIO()
    rgb.save(buffer, format="JPEG", quality=95, dpi=(200, 200))
    page = load_pages(buffer.getvalue(), "scan.jpg", FAST).pages[0]
    reference = np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("L"), np.int16)
    assert page.image.shape == (240, 320) and round(page.dpi or 0) == 200
    # saturated colours clip differently in the decoder's luma than after RGB: a few levels
    diff = np.abs(page.image.astype(np.int16) - reference)
    assert diff.mean() < 0.5 and np.percentile(diff, 99) <= 4 and diff.max() <= 16
