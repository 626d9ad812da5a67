"""The media service's readers without Telegram: images downscaled, documents read and cut."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from bot.media.documents import (
    UnreadableDocument,
    UnsupportedDocument,
    chunk_text,
    read_document,
)
from bot.media.images import UnreadableImage, prepare_image
from tests.media.samples import docx_file, jpeg_photo, pdf_file


def _decoded(jpeg: bytes) -> Image.Image:
    return Image.open(io.BytesIO(jpeg))


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ((4000, 3000), (2000, 1500)),  # 12 MP: decoded at half scale, nothing resampled
        ((3000, 4000), (1500, 2000)),  # portrait
        ((9000, 1000), (1125, 125)),  # a panorama: decoded at 1/8, already inside the box
        ((30000, 500), (2048, 34)),  # beyond 1/8: resampled into the box
        ((640, 480), (640, 480)),  # small photos stay as they are
    ],
)
def test_photos_are_fitted_into_the_models_box(size: tuple[int, int], expected: tuple) -> None:
    prepared = prepare_image(jpeg_photo(*size))
    assert (prepared.width, prepared.height) == expected
    assert _decoded(prepared.jpeg).size == expected
    assert prepared.data_url().startswith("data:image/jpeg;base64,/9j/")


def test_exif_orientation_is_applied_and_transparency_flattened() -> None:
    image = Image.new("RGB", (400, 200), (10, 200, 10))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated: the camera held upright
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    assert _decoded(prepare_image(out.getvalue()).jpeg).size == (200, 400)
    clear = Image.new("RGBA", (50, 50), (0, 0, 0, 0))
    out = io.BytesIO()
    clear.save(out, "PNG")
    flattened = _decoded(prepare_image(out.getvalue()).jpeg).convert("RGB")
    assert flattened.getpixel((25, 25)) == (255, 255, 255)


@pytest.mark.parametrize("data", [b"", b"\xff\xd8\xff garbage", jpeg_photo(200, 100)[:300]])
def test_broken_images_are_refused_cleanly(data: bytes) -> None:
    with pytest.raises(UnreadableImage):
        prepare_image(data)


def test_text_files_in_several_encodings() -> None:
    text = "购物清单：牛奶、鸡蛋\nshopping: milk, eggs"
    for encoding in ("utf-8", "utf-8-sig", "utf-16", "gb18030"):
        read = read_document(text.encode(encoding), file_name="list.txt", mime_type=None)
        assert read.text == text, encoding
    markdown = read_document(b"# Title\n\n\n\n\nBody", file_name=None, mime_type="text/markdown")
    assert markdown.text == "# Title\n\nBody"
    blanks = read_document(
        "a \t b\u00a0\u00a0c  d e\tf".encode(), file_name="b.txt", mime_type=None
    )
    assert blanks.text == "a b c d e f"
    lines = read_document(
        "one\t two \n\t\u00a0three  \n\n\n \nfour".encode(), file_name="c.txt", mime_type=None
    )
    assert lines.text == "one two \n three \n\nfour"  # lines kept, blank lines at most one


def test_pdf_and_word_files_are_read_with_their_pages() -> None:
    pdf = read_document(
        pdf_file([["first page"], ["second (page)"]]), file_name="a.PDF", mime_type=None
    )
    assert pdf.kind == "pdf" and pdf.pages == 2
    assert "first page" in pdf.text and "second (page)" in pdf.text
    word = read_document(docx_file(["Hello", "世界"]), file_name="x.docx", mime_type=None)
    assert word.text == "Hello\n世界"


def test_unknown_and_broken_documents() -> None:
    with pytest.raises(UnsupportedDocument):
        read_document(b"PK", file_name="a.xlsx", mime_type="application/vnd.ms-excel")
    for name, data in (
        ("a.pdf", b"%PDF-1.4 nothing"),
        ("a.docx", b"PK\x03\x04 not a zip"),
        ("a.txt", b"\x00\x01\x02" * 100),
        ("empty.pdf", pdf_file([[]])),
    ):
        with pytest.raises(UnreadableDocument):
            read_document(data, file_name=name, mime_type=None)


def test_chunks_cover_the_text_and_cut_at_natural_ends() -> None:
    paragraphs = [f"Paragraph {n}. " + "word " * 60 for n in range(30)]
    text = "\n\n".join(paragraph.strip() for paragraph in paragraphs)
    chunks = list(chunk_text(text, 700))
    assert all(len(chunk) <= 700 for chunk in chunks)
    assert all(chunk.startswith("Paragraph") for chunk in chunks)
    assert " ".join(chunks).split() == text.split()
    chinese = "。".join(["今天天气很好我们去公园散步"] * 200)
    pieces = list(chunk_text(chinese, 300))
    assert all(piece.endswith("。") for piece in pieces[:-1])
    assert "".join(pieces) == chinese
    assert list(chunk_text("x" * 1000, 300)) == ["x" * 300] * 3 + ["x" * 100]
