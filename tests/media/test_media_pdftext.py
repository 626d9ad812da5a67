"""Long PDFs read in worker processes: the same text as in-process, and failures contained."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.media import pdftext
from bot.media.documents import UnreadableDocument, read_document
from bot.media.pdftext import BLOCK_PAGES, PARALLEL_PAGES, PdfError, page_texts
from tests.media.samples import pdf_file

#: Enough pages for three blocks: the second worker's block sits between the first's.
_PAGES = [[f"page {n} of the lease", f"deposit clause {n} (paid) é"] for n in range(80)]


def test_workers_give_every_page_in_order() -> None:
    data = pdf_file(_PAGES)
    here = page_texts(data, workers=1)
    assert len(here) == 80 and "page 79 of the lease" in here[79]
    assert page_texts(data, workers=2) == here
    assert page_texts(data, workers=3) == here


def test_a_long_pdf_is_read_by_workers_on_its_own() -> None:
    pages = [[f"chapter {n}"] for n in range(PARALLEL_PAGES + 1)]
    document = read_document(pdf_file(pages), file_name="book.pdf", mime_type=None)
    assert document.pages == PARALLEL_PAGES + 1
    assert document.text.split("\n\n") == [f"chapter {n}" for n in range(PARALLEL_PAGES + 1)]


def test_a_dying_worker_makes_the_pdf_unreadable(monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker that crashes (PDFium on a malformed page, or killed) fails this one PDF."""

    def dying(count: int) -> list[subprocess.Popen[bytes]]:
        script = (
            "import sys; sys.stdin.buffer.read(); sys.stdout.buffer.write(b'\\0\\0'); sys.exit(11)"
        )
        return [
            subprocess.Popen(
                [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE
            )
            for _ in range(count)
        ]

    monkeypatch.setattr(pdftext, "_start_workers", dying)
    with pytest.raises(PdfError):
        page_texts(pdf_file(_PAGES), workers=2)
    monkeypatch.setattr(pdftext, "PARALLEL_PAGES", 2)
    with pytest.raises(UnreadableDocument):
        read_document(pdf_file(_PAGES), file_name="lease.pdf", mime_type=None)


def test_no_processes_to_be_had_reads_it_here(monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(*args: object, **kwargs: object) -> None:
        raise OSError("fork: resource temporarily unavailable")

    monkeypatch.setattr(pdftext.subprocess, "Popen", refused)
    pages = page_texts(pdf_file(_PAGES), workers=2)
    assert len(pages) == 80 and BLOCK_PAGES < 80
