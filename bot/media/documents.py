"""Reading shared files: plain text, Markdown, PDF (pypdfium2, Google's PDFium: see
:mod:`bot.media.pdftext`) and Word (.docx, python-docx); and cutting their text into parts that
search and recall can find.

Which reader a file gets is decided by its name's extension, else its MIME type, through
:data:`READERS`; a file no reader takes is :class:`UnsupportedDocument` ("I can't read this kind
of file yet"), one a reader fails on is :class:`UnreadableDocument`.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from bot.media.pdftext import PdfError, page_texts

__all__ = [
    "READERS",
    "DocumentText",
    "UnreadableDocument",
    "UnsupportedDocument",
    "chunk_text",
    "read_document",
]


class UnsupportedDocument(Exception):
    """No reader for this kind of file."""


class UnreadableDocument(Exception):
    """A reader failed: the file is corrupted, encrypted, or holds no text."""


@dataclass(frozen=True, slots=True)
class DocumentText:
    """The text of a document and what it was read as."""

    text: str
    kind: str  # "text", "pdf", "docx"
    pages: int | None = None


def _read_text(data: bytes) -> DocumentText:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return DocumentText(data.decode("utf-16"), "text")
        except UnicodeDecodeError as error:
            raise UnreadableDocument("broken UTF-16") from error
    if b"\x00" in data[:8192]:
        raise UnreadableDocument("binary data")  # a binary file with a .txt name
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return DocumentText(data.decode(encoding), "text")
        except UnicodeDecodeError:
            continue
    return DocumentText(data.decode("latin-1"), "text")


def _read_pdf(data: bytes) -> DocumentText:
    try:
        pages = page_texts(data)
    except PdfError as error:
        raise UnreadableDocument(str(error)) from error
    return DocumentText("\n\n".join(pages).replace("\r\n", "\n"), "pdf", pages=len(pages))


def _read_docx(data: bytes) -> DocumentText:
    import docx  # python-docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError, OSError) as error:
        raise UnreadableDocument(type(error).__name__) from error
    except Exception as error:  # a zip that is not a Word file fails deep inside lxml or zipfile
        raise UnreadableDocument(type(error).__name__) from error
    lines = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.append(" | ".join(cell.text for cell in row.cells))
    return DocumentText("\n".join(lines), "docx")


Reader = Callable[[bytes], DocumentText]

#: Reader by file extension, and by MIME type for files sent without a telling name.
READERS: dict[str, Reader] = {
    ".txt": _read_text,
    ".text": _read_text,
    ".md": _read_text,
    ".markdown": _read_text,
    ".csv": _read_text,
    ".log": _read_text,
    ".pdf": _read_pdf,
    ".docx": _read_docx,
    "text/plain": _read_text,
    "text/markdown": _read_text,
    "text/csv": _read_text,
    "application/pdf": _read_pdf,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": _read_docx,
}


def reader_for(file_name: str | None, mime_type: str | None) -> Reader | None:
    """The reader of a file, by extension first, then MIME type; None when none fits."""
    if file_name and "." in file_name:
        reader = READERS.get("." + file_name.rsplit(".", 1)[1].lower())
        if reader is not None:
            return reader
    return READERS.get((mime_type or "").lower())


def read_document(data: bytes, *, file_name: str | None, mime_type: str | None) -> DocumentText:
    """The text of a document; raises Unsupported- or UnreadableDocument."""
    reader = reader_for(file_name, mime_type)
    if reader is None:
        raise UnsupportedDocument(file_name or mime_type or "file")
    document = reader(data)
    text = _tidy(document.text)
    if not text:
        raise UnreadableDocument("no text in it")
    return DocumentText(text, document.kind, document.pages)


# Every run of blanks (spaces, tabs, no-break spaces) becomes one space: tabs and no-break
# spaces are replaced first (in C), then only runs of two spaces or more are matched. A pattern
# matching each single space of an 18 MB text cost ~200 MB of peak memory for nothing, and one
# starting with a set of blanks scanned every character in Python's re: 0.3 s against 0.06 s.
_SPACES = re.compile("  +")
_BLANKS = re.compile(r"\n\s*\n\s*\n+")


def _tidy(text: str) -> str:
    spaced = text.replace("\x00", "").replace("\t", " ").replace("\u00a0", " ")
    return _BLANKS.sub("\n\n", _SPACES.sub(" ", spaced)).strip()


def chunk_text(text: str, size: int = 1200) -> Iterator[str]:
    """Parts of about ``size`` characters, cut at paragraph, then sentence, then word ends."""
    start = 0
    length = len(text)
    while start < length:
        end = min(start + size, length)
        if end < length:
            window = text[start:end]
            for stops in (("\n\n",), ("\n", ". ", "。", "! ", "? ", "！", "？"), (" ",)):
                cut = max(window.rfind(stop) + len(stop) for stop in stops)
                if cut > size // 2:
                    end = start + cut
                    break
        piece = text[start:end].strip()
        if piece:
            yield piece
        start = end
