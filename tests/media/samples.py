"""Test files made on the spot: photos (Pillow), PDFs (written by hand, a few objects), Word
files (python-docx) and voice notes (an OGG page header; the fake endpoint does not decode)."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

__all__ = ["docx_file", "jpeg_photo", "ogg_voice", "pdf_file"]


def jpeg_photo(width: int = 4000, height: int = 3000, *, label: str = "wine") -> bytes:
    """A JPEG of the given size with some shapes and a label on it."""
    image = Image.new("RGB", (width, height), (120, 30, 60))
    draw = ImageDraw.Draw(image)
    draw.rectangle((width // 4, height // 4, width // 2, height - 10), fill=(240, 220, 200))
    draw.text((width // 3, height // 3), label, fill=(0, 0, 0))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def pdf_file(pages: list[list[str]]) -> bytes:
    """A PDF with one page per list of lines (Helvetica), with a correct cross-reference."""
    objects: list[bytes] = []
    page_ids = [4 + 2 * index for index in range(len(pages))]
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    kids = " ".join(f"{pid} 0 R" for pid in page_ids)
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for index, lines in enumerate(pages):
        commands = ["BT", "/F1 11 Tf", "14 TL", "50 790 Td"]
        for line in lines:
            commands.append(f"({_escape(line)}) Tj T*")
        commands.append("ET")
        stream = "\n".join(commands).encode("latin-1")
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (page_ids[index] + 1)
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


def docx_file(paragraphs: list[str]) -> bytes:
    import docx

    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def ogg_voice(seconds: int = 3) -> bytes:
    """Bytes that start like an OGG/Opus voice note (the fake transcriber reads no audio)."""
    return b"OggS\x00\x02" + b"\x00" * 20 + b"OpusHead" + bytes(range(256)) * seconds
