"""The text of a PDF's pages with PDFium (pypdfium2): in this process for a short PDF, in worker
processes for a long one.

PDFium's text extraction (building each page's text layout) costs about 0.5 µs of CPU per
character, so a 4,000-page book spends seconds there, and PDFium is not thread-safe: more than
one core needs more than one process. A PDF of :data:`PARALLEL_PAGES` pages or more is handed
to up to :data:`MAX_WORKERS` worker processes (one per usable core), each opening its own copy
and extracting every ``workers``-th block of :data:`BLOCK_PAGES` pages; the blocks are read back
in page order. A worker only imports pypdfium2 (it runs this file as a script, isolated from the
bot's code), gets the PDF on its standard input (never written to disk) and writes each page's
text as a length-prefixed UTF-8 frame.

A worker that dies (PDFium crashing on a malformed file, the worker killed) makes the PDF
unreadable (:class:`PdfError`) without taking the bot down; a worker that cannot be started at
all leaves the work to this process.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    import pypdfium2

__all__ = ["BLOCK_PAGES", "MAX_WORKERS", "PARALLEL_PAGES", "PdfError", "page_texts"]

#: PDFs with fewer pages are read in this process (starting a worker costs ~0.1 s of CPU).
PARALLEL_PAGES = 128
#: Pages a worker extracts before handing them back.
BLOCK_PAGES = 32
#: Worker processes at most for one PDF.
MAX_WORKERS = 4

#: PDFium is not thread-safe: one document at a time in this process.
_PDFIUM = threading.Lock()
_ENCODING = "utf-8"
_ERRORS = "surrogatepass"  # PDFium's UTF-16 can hold a lone surrogate; it must survive the pipe


class PdfError(Exception):
    """The PDF could not be opened or a worker failed on it."""


def page_texts(data: bytes, *, workers: int | None = None) -> list[str]:
    """The text of every page, in order. ``workers`` overrides the choice (1: this process)."""
    with _PDFIUM:
        pdf = _open(data)
        try:
            count = len(pdf)
            chosen = _worker_count(count) if workers is None else max(1, workers)
            if chosen <= 1 or count <= BLOCK_PAGES:
                return [_page_text(pdf, index) for index in range(count)]
        finally:
            pdf.close()
    try:
        processes = _start_workers(chosen)
    except OSError:  # no processes to be had (limits): read it here
        return page_texts(data, workers=1)
    return _collect(processes, data, count)


def _usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _worker_count(pages: int) -> int:
    if pages < PARALLEL_PAGES:
        return 1
    return max(1, min(MAX_WORKERS, _usable_cores(), -(-pages // BLOCK_PAGES)))


def _open(data: bytes) -> pypdfium2.PdfDocument:
    import pypdfium2 as pdfium  # imported on first use: PDFium is a large native library

    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as error:
        raise PdfError(str(error)) from error


def _page_text(pdf: pypdfium2.PdfDocument, index: int) -> str:
    page = pdf[index]
    textpage = page.get_textpage()
    try:
        return textpage.get_text_range()  # type: ignore[no-any-return]  # 2x faster than bounded
    finally:
        textpage.close()
        page.close()


def _start_workers(count: int) -> list[subprocess.Popen[bytes]]:
    started: list[subprocess.Popen[bytes]] = []
    try:
        for index in range(count):
            started.append(
                subprocess.Popen(
                    [sys.executable, "-I", __file__, str(index), str(count)],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                )
            )
    except OSError:
        _stop(started)
        raise
    return started


def _collect(processes: list[subprocess.Popen[bytes]], data: bytes, count: int) -> list[str]:
    """Feed each worker the PDF, then read the blocks back in page order."""
    try:
        for process in processes:
            assert process.stdin is not None and process.stdout is not None
            # Each worker reads all of its input before writing anything: no deadlock.
            process.stdin.write(data)
            process.stdin.close()
        pages: list[str] = []
        for block, start in enumerate(range(0, count, BLOCK_PAGES)):
            stream = processes[block % len(processes)].stdout
            assert stream is not None
            for _ in range(start, min(start + BLOCK_PAGES, count)):
                size = int.from_bytes(_read_exactly(stream, 4), "big")
                pages.append(_read_exactly(stream, size).decode(_ENCODING, _ERRORS))
        for process in processes:
            if process.wait() != 0:
                raise PdfError(f"PDF worker exited with {process.returncode}")
        return pages
    except (OSError, ValueError) as error:  # a broken pipe, a worker gone
        raise PdfError(f"PDF worker failed: {error}") from error
    finally:
        _stop(processes)


def _read_exactly(stream: IO[bytes], size: int) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise PdfError("PDF worker stopped early")
    return data


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.wait()
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()


def _work(index: int, workers: int) -> None:
    """A worker: the PDF on standard input, its share of the pages' texts on standard output."""
    pdf = _open(sys.stdin.buffer.read())
    out = sys.stdout.buffer
    count = len(pdf)
    for block, start in enumerate(range(0, count, BLOCK_PAGES)):
        if block % workers != index:
            continue
        frames = bytearray()
        for page in range(start, min(start + BLOCK_PAGES, count)):
            text = _page_text(pdf, page).encode(_ENCODING, _ERRORS)
            frames += len(text).to_bytes(4, "big")
            frames += text
        out.write(frames)
        out.flush()
    pdf.close()


if __name__ == "__main__":
    _work(int(sys.argv[1]), int(sys.argv[2]))
