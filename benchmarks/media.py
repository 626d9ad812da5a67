"""Media preparation: a 12-megapixel photo made ready for the model, and a 20 MB PDF read and
stored in memory.

* **Photo.** A 4000x3000 JPEG (~3-4 MB, smooth areas, edges, sensor-like noise: what a phone
  sends as a document; Telegram's own photos are already at most 2560 px) goes through
  :func:`bot.media.images.prepare_image`, as the bot runs it for every photo. Each run is a fresh
  child process (``python benchmarks/media.py --child photo FILE``) that reads the file, then
  measures the *first* preparation (what a bot that just started pays) and the median of 10
  more; the extra peak RSS is the peak resident set (VmHWM, reset just before through
  ``/proc/self/clear_refs``) during the first preparation minus the resident set just before it
  (the file's bytes are already in memory then, as in the bot after the download).
* **PDF.** Two 20 MB PDFs: *typical* (300 text pages with a photo on every fifth page, which is
  where the megabytes of a real 20 MB PDF are) and *text-heavy* (nothing but text pages: the
  worst case for extraction and indexing). Each is read with :func:`read_document` (PDFium),
  cut into parts with :func:`chunk_text`, and kept and stored on a temporary SQLite database by
  :class:`bot.conversation.documents.DocumentBacklog`, as the conversation service does: the
  parts compressed into the backlog with the message that shared them (before the answer; its
  CPU time is given), then stored :data:`bot.conversation.documents.DOCUMENT_BATCH` per
  transaction, each moving the backlog on, the next batch's words found while the previous
  one is written. Their text is English in the
  proportions of a real book (Zipf's law over 20,000 words), not a handful of words repeated,
  which would flatter the per-token caches of :mod:`bot.memory.text`. Two times are given: the
  read alone (what the answer waits for, with the backlog write: it reads the first 12,000
  characters; the text is cut into parts in the same thread, the parts are stored after it)
  and read + cut + keep + store (when all of it is searchable); the rate is the PDF's size
  over the second, with the text rate beside it.

CPU time counts the bot's process and the PDF worker processes (``os.times``, children reaped
when the PDF is read): it stays meaningful on a shared machine, where wall time depends on what
else runs (the load average is printed before and after). A long PDF's extraction runs on every
core (see :mod:`bot.media.pdftext`), so its wall time can be below its CPU time on an idle
machine. Run: ``python benchmarks/media.py`` (a few minutes on 2 busy cores).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import itertools
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PDF_TARGET_BYTES = 20 * 1024 * 1024
_VOCABULARY = (
    "the tenancy agreement deposit landlord tenant rent month payment notice period repair "
    "kitchen heating water electricity inspection signed witness clause schedule terms "
    "property address keys garden parking pets insurance 押金 租金 房东 租客 合同 维修"
)
WORDS = _VOCABULARY.split()


# -- inputs ------------------------------------------------------------------------------------


def photo_12mp() -> bytes:
    """A 4000x3000 JPEG that compresses like a photo: gradients, shapes, fine noise."""
    from PIL import Image, ImageDraw, ImageFilter

    width, height = 4000, 3000
    sky = Image.linear_gradient("L").resize((width, height))
    noise = Image.effect_noise((width, height), 18)
    image = Image.merge(
        "RGB", (sky, Image.blend(sky, noise, 0.35), noise.filter(ImageFilter.BoxBlur(1)))
    )
    draw = ImageDraw.Draw(image)
    rng = random.Random(7)
    for _ in range(120):
        x, y = rng.randrange(width), rng.randrange(height)
        size = rng.randrange(40, 400)
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        draw.ellipse((x, y, x + size, y + size), fill=colour)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88)
    return out.getvalue()


def _vocabulary(size: int = 20_000) -> tuple[list[str], list[float]]:
    """The benchmark's English words first, then made-up words of two to four syllables, with
    Zipf's law's cumulative weights (word n is 1/n as frequent as the first), as in a real book:
    a few words make most of the text and thousands appear a handful of times."""
    rng = random.Random(5)
    syllables = [c + v for c in "bcdfghklmnprstvwz" for v in ("a", "e", "i", "o", "u", "ou", "ai")]
    words = list(dict.fromkeys(WORDS[:28]))
    seen = set(words)
    while len(words) < size:
        word = "".join(rng.choice(syllables) for _ in range(rng.randrange(2, 5)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    weights = list(itertools.accumulate(1 / rank for rank in range(1, size + 1)))
    return words, weights


_WORDS, _WEIGHTS = _vocabulary()


def _text_page(rng: random.Random, lines: int = 50) -> list[str]:
    return [" ".join(rng.choices(_WORDS, cum_weights=_WEIGHTS, k=12)) for _ in range(lines)]


def pdf_20mb(*, with_photos: bool) -> bytes:
    """A PDF of about 20 MB: text pages (Helvetica), plus a JPEG on every fifth page if asked."""
    from PIL import Image

    rng = random.Random(11)
    photo = b""
    if with_photos:
        image = Image.effect_noise((1200, 900), 60).convert("RGB")
        out = io.BytesIO()
        image.save(out, "JPEG", quality=92)
        photo = out.getvalue()
    objects: list[bytes] = [b"", b"", b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    page_ids: list[int] = []
    size = 0
    index = 0
    while size < PDF_TARGET_BYTES - 200_000:
        lines = _text_page(rng)
        commands = ["BT", "/F1 10 Tf", "12 TL", "40 800 Td"]
        commands += [f"({line}) Tj T*" for line in lines]
        commands.append("ET")
        resources = "/Font << /F1 3 0 R >>"
        if photo and index % 5 == 0:
            objects.append(
                b"<< /Type /XObject /Subtype /Image /Width 1200 /Height 900 /ColorSpace "
                b"/DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode /Length %d >>\nstream\n"
                % len(photo)
                + photo
                + b"\nendstream"
            )
            resources += f" /XObject << /Im{index} {len(objects)} 0 R >>"
            commands.append(f"q 300 0 0 225 150 80 cm /Im{index} Do Q")
            size += len(photo)
        stream = "\n".join(commands).encode("latin-1")
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        contents = len(objects)
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << {resources} >>"
            f" /Contents {contents} 0 R >>".encode()
        )
        page_ids.append(len(objects))
        size += len(stream) + 200
        index += 1
    objects[0] = b"<< /Type /Catalog /Pages 2 0 R >>"
    kids = " ".join(f"{pid} 0 R" for pid in page_ids)
    objects[1] = f"<< /Type /Pages /Kids [{kids}] /Count {len(page_ids)} >>".encode()
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.writelines(b"%010d 00000 n \n" % offset for offset in offsets)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


# -- children: one measurement per fresh process ---------------------------------------------


def _peak_mb() -> float:
    """The peak resident set since the last reset (VmHWM)."""
    return _status_mb("VmHWM")


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status (Linux only)")


def _current_mb() -> float:
    """The resident set now, after resetting the peak (Linux's clear_refs 5), so that the peak
    measured next (VmHWM) is of what follows, not of the imports before."""
    Path("/proc/self/clear_refs").write_text("5")
    return _status_mb("VmRSS")


def child_photo(path: str) -> dict[str, Any]:
    from bot.media.images import prepare_image

    data = Path(path).read_bytes()
    before = _current_mb()
    cpu, wall = time.process_time(), time.perf_counter()
    prepared = prepare_image(data)
    first_cpu, first_wall = time.process_time() - cpu, time.perf_counter() - wall
    extra = _peak_mb() - before
    cpus, walls = [], []
    for _ in range(10):
        cpu, wall = time.process_time(), time.perf_counter()
        prepare_image(data)
        cpus.append(time.process_time() - cpu)
        walls.append(time.perf_counter() - wall)
    return {
        "input_mb": len(data) / 1e6,
        "output": f"{prepared.width}x{prepared.height}, {len(prepared.jpeg) / 1e3:.0f} kB",
        "first_cpu_ms": first_cpu * 1e3,
        "first_wall_ms": first_wall * 1e3,
        "median_cpu_ms": statistics.median(cpus) * 1e3,
        "median_wall_ms": statistics.median(walls) * 1e3,
        "extra_peak_rss_mb": extra,
    }


def _cpu() -> tuple[float, float]:
    """CPU seconds of this process and of its reaped children (the PDF workers)."""
    times = os.times()
    return times.user + times.system, times.children_user + times.children_system


async def _keep_and_store(store: Any, chunks: list[str], now: datetime) -> float:
    """As the conversation service does (:mod:`bot.conversation.documents`): the parts go into
    the backlog with the message that shared the document (before the answer), then into
    memory, DOCUMENT_BATCH per transaction that also moves the backlog on. Returns the CPU
    seconds the backlog write took (compressing in a thread included)."""
    from bot.chats import ChatKind
    from bot.clock import SystemClock
    from bot.conversation import Attachment, Incoming
    from bot.conversation.documents import DocumentBacklog

    backlog = await DocumentBacklog.open(store.database, store, SystemClock())
    attachment = Attachment("document", "file-1", file_name="big.pdf", chunks=tuple(chunks))
    shared = Incoming(
        1, ChatKind.PRIVATE, 1, "Anna", "[document: big.pdf]", now, attachments=(attachment,)
    )
    cpu = time.process_time()
    pending = backlog.pending(shared)
    await store.add_message(
        user_id=1,
        chat_id=1,
        role="user",
        text=shared.text,
        at=now,
        also=await backlog.writer(pending),
    )
    kept_cpu = time.process_time() - cpu
    for document in pending:
        assert await backlog.store(document)
    return kept_cpu


async def _store_pdf(data: bytes, database: Path) -> dict[str, Any]:
    from bot.media.documents import chunk_text, read_document
    from bot.memory import MemoryStore

    store = await MemoryStore.open(database)
    before = _current_mb()
    (cpu, children), wall = _cpu(), time.perf_counter()

    def read_and_cut() -> tuple[Any, list[str]]:
        """As :meth:`bot.media.service.MediaService.read`: read and cut in a thread."""
        document = read_document(data, file_name="big.pdf", mime_type="application/pdf")
        return document, [
            f"[big.pdf, part {n}] {c}" for n, c in enumerate(chunk_text(document.text), 1)
        ]

    document, chunks = await asyncio.to_thread(read_and_cut)
    read_wall = time.perf_counter() - wall
    read_cpu = sum(_cpu()) - cpu - children
    now = datetime(2026, 12, 1, tzinfo=UTC)
    kept_wall = time.perf_counter()
    kept_cpu = await _keep_and_store(store, chunks, now)
    kept_wall = time.perf_counter() - kept_wall
    total_wall = time.perf_counter() - wall
    after, after_children = _cpu()
    total_cpu = after - cpu + after_children - children
    extra = _peak_mb() - before
    workers_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    hits = await store.search(user_id=1, query="deposit landlord", k=3, now=now)
    stored = await store.database.run(
        lambda conn: conn.execute(
            "SELECT count(*) FROM memory_media AS m JOIN memory_fts AS f ON f.rowid = m.message_id"
        ).fetchone()[0]
    )
    await store.close()
    text_mb = len(document.text.encode()) / 1e6
    pdf_mb = len(data) / 1e6
    return {
        "pdf_mb": pdf_mb,
        "pages": document.pages,
        "text_mb": text_mb,
        "parts": len(chunks),
        "read_cpu_s": read_cpu,
        "read_wall_s": read_wall,
        "kept_cpu_s": kept_cpu,
        "kept_and_stored_wall_s": kept_wall,
        "total_cpu_s": total_cpu,
        "parent_cpu_s": after - cpu,
        "total_wall_s": total_wall,
        "pdf_mb_per_s_cpu": pdf_mb / total_cpu,
        "pdf_mb_per_s_wall": pdf_mb / total_wall,
        "text_mb_per_s_wall": text_mb / total_wall,
        "extra_peak_rss_mb": extra,
        "workers_peak_rss_mb": workers_peak,
        "found": bool(hits),
        "all_indexed": stored == len(chunks),
    }


def child_pdf(path: str) -> dict[str, Any]:
    data = Path(path).read_bytes()
    with tempfile.TemporaryDirectory() as folder:
        return asyncio.run(_store_pdf(data, Path(folder) / "bench.sqlite3"))


# -- the parent ------------------------------------------------------------------------------


def _run_child(kind: str, path: Path) -> dict[str, Any]:
    output = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--child", nargs=2, metavar=("KIND", "FILE"), help=argparse.SUPPRESS)
    parser.add_argument("--runs", type=int, default=3, help="fresh processes per measurement")
    args = parser.parse_args()
    if args.child:
        kind, path = args.child
        result = child_photo(path) if kind == "photo" else child_pdf(path)
        print(json.dumps(result))
        return
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as folder:
        photo = Path(folder) / "photo.jpg"
        photo.write_bytes(photo_12mp())
        print(f"photo: 4000x3000 JPEG, {photo.stat().st_size / 1e6:.1f} MB")
        for _ in range(args.runs):
            r = _run_child("photo", photo)
            print(
                f"  first {r['first_cpu_ms']:.0f} ms CPU ({r['first_wall_ms']:.0f} ms wall), "
                f"then median {r['median_cpu_ms']:.0f} ms CPU ({r['median_wall_ms']:.0f} ms wall); "
                f"extra peak RSS {r['extra_peak_rss_mb']:.1f} MB; sent {r['output']}"
            )
        for name, with_photos in (("typical", True), ("text-heavy", False)):
            pdf = Path(folder) / f"{name}.pdf"
            pdf.write_bytes(pdf_20mb(with_photos=with_photos))
            for _ in range(args.runs):
                r = _run_child("pdf", pdf)
                print(
                    f"pdf {name}: {r['pdf_mb']:.1f} MB, {r['pages']} pages, "
                    f"{r['text_mb']:.1f} MB of text in {r['parts']} parts\n"
                    f"  read (what the answer waits for) {r['read_wall_s']:.2f} s wall, "
                    f"{r['read_cpu_s']:.2f} s CPU, then the backlog written "
                    f"{r['kept_cpu_s']:.2f} s CPU; read+stored (all searchable) "
                    f"{r['total_wall_s']:.2f} s wall, {r['total_cpu_s']:.2f} s CPU "
                    f"({r['parent_cpu_s']:.2f} s in the bot's process)\n"
                    f"  = {r['pdf_mb_per_s_wall']:.1f} MB/s of PDF by wall time "
                    f"({r['text_mb_per_s_wall']:.2f} MB/s of text), "
                    f"{r['pdf_mb_per_s_cpu']:.1f} MB/s per core of CPU; extra peak RSS "
                    f"{r['extra_peak_rss_mb']:.0f} MB (+ {r['workers_peak_rss_mb']:.0f} MB per "
                    f"PDF worker); found by search: {r['found']}, every part indexed: "
                    f"{r['all_indexed']}"
                )
    print(f"load average after: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
