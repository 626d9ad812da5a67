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
  cut into parts with :func:`chunk_text`, and stored through ``MemoryStore.add_messages`` and
  ``attach_media`` on a temporary SQLite database, as the conversation service stores a shared
  document. The rate is the PDF's size over the whole (read + cut + store) time; the text rate
  is given beside it.

CPU time is the process's (``time.process_time``), which stays meaningful on a shared machine;
wall time is printed too. Run: ``python benchmarks/media.py`` (about a minute on 2 cores).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import random
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


def _text_page(rng: random.Random, lines: int = 50) -> list[str]:
    return [" ".join(rng.choice(WORDS[:28]) for _ in range(12)) for _ in range(lines)]


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


async def _store_pdf(data: bytes, database: Path) -> dict[str, Any]:
    from bot.media.documents import chunk_text, read_document
    from bot.memory import MediaRecord, MemoryStore, NewMessage

    store = await MemoryStore.open(database)
    before = _current_mb()
    cpu, wall = time.process_time(), time.perf_counter()
    document = await asyncio.to_thread(
        read_document, data, file_name="big.pdf", mime_type="application/pdf"
    )
    read_cpu, read_wall = time.process_time() - cpu, time.perf_counter() - wall
    now = datetime(2026, 12, 1, tzinfo=UTC)
    chunks = [f"[big.pdf, part {n}] {c}" for n, c in enumerate(chunk_text(document.text), 1)]
    ids = await store.add_messages(
        NewMessage(user_id=1, chat_id=1, role="user", text=chunk, at=now, thread=0)
        for chunk in chunks
    )
    await store.attach_media(
        [
            MediaRecord(i, "document", "file-1", file_name="big.pdf", part=n)
            for n, i in enumerate(ids, 1)
        ]
    )
    total_cpu, total_wall = time.process_time() - cpu, time.perf_counter() - wall
    extra = _peak_mb() - before
    hits = await store.search(user_id=1, query="deposit landlord", k=3, now=now)
    await store.close()
    return {
        "pdf_mb": len(data) / 1e6,
        "pages": document.pages,
        "text_mb": len(document.text.encode()) / 1e6,
        "parts": len(chunks),
        "read_cpu_s": read_cpu,
        "read_wall_s": read_wall,
        "total_cpu_s": total_cpu,
        "total_wall_s": total_wall,
        "pdf_mb_per_s_cpu": len(data) / 1e6 / total_cpu,
        "pdf_mb_per_s_wall": len(data) / 1e6 / total_wall,
        "text_mb_per_s_wall": len(document.text.encode()) / 1e6 / total_wall,
        "extra_peak_rss_mb": extra,
        "found": bool(hits),
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
                    f"{r['text_mb']:.1f} MB of text in {r['parts']} parts: read "
                    f"{r['read_wall_s']:.2f} s, read+stored {r['total_wall_s']:.2f} s wall "
                    f"({r['total_cpu_s']:.2f} s CPU) = {r['pdf_mb_per_s_wall']:.1f} MB/s of PDF "
                    f"({r['text_mb_per_s_wall']:.2f} MB/s of text); extra peak RSS "
                    f"{r['extra_peak_rss_mb']:.0f} MB; found by search: {r['found']}"
                )


if __name__ == "__main__":
    main()
