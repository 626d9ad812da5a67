"""Photos made ready for a vision model: decoded, turned upright, downscaled, re-encoded as JPEG.

A 12-megapixel phone photo is ~4 MB and 4000x3000 pixels; vision models look at ~1.5k pixels
on the long side at most (OpenAI scales "high detail" images to fit 2048x2048 and then 768 on
the short side), so anything bigger costs upload time and tokens and buys nothing. JPEGs are
decoded straight at reduced size (libjpeg's DCT scaling through :meth:`PIL.Image.Image.draft`),
which is what keeps a 12 MP photo at tens of milliseconds and a few MB of memory: its 1/2 scale
(2000x1500) already fits and needs no resampling at all. So the long side of what is sent lands
between half of :data:`MAX_SIDE` and all of it.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

__all__ = ["MAX_SIDE", "PreparedImage", "UnreadableImage", "prepare_image"]

#: The long side of what the model gets at most, in pixels (OpenAI's "high detail" box).
MAX_SIDE = 2048
_QUALITY = 85
#: Refuse images that would decode to more pixels than this (decompression bombs).
Image.MAX_IMAGE_PIXELS = 100_000_000


class UnreadableImage(Exception):
    """The bytes are not an image Pillow can read (corrupted, or an unknown format)."""


@dataclass(frozen=True, slots=True)
class PreparedImage:
    """A downscaled JPEG and its size."""

    jpeg: bytes
    width: int
    height: int

    def data_url(self) -> str:
        """The image as an OpenAI ``image_url`` (a base64 data URL)."""
        return "data:image/jpeg;base64," + base64.b64encode(self.jpeg).decode("ascii")


def prepare_image(data: bytes, *, max_side: int = MAX_SIDE) -> PreparedImage:
    """Decode, orient by EXIF, fit into ``max_side`` x ``max_side`` and encode as JPEG."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            # JPEG only: decode at the 1/2^n scale (n <= 3) that first fits into max_side.
            factor = 1
            while factor < 8 and max(image.size) / factor > max_side:
                factor *= 2
            image.draft("RGB", (-(-image.width // factor), -(-image.height // factor)))
            image.load()
            # In place: no copy of a photo that needs no turning (most of them).
            ImageOps.exif_transpose(image, in_place=True)
            oriented: Image.Image = image
            if oriented.mode not in ("RGB", "L"):
                oriented = _flatten(oriented)
            if max(oriented.size) > max_side:
                oriented.thumbnail((max_side, max_side), Image.Resampling.BICUBIC)
            out = io.BytesIO()
            oriented.save(out, "JPEG", quality=_QUALITY, optimize=False)
            return PreparedImage(out.getvalue(), oriented.width, oriented.height)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise UnreadableImage(type(error).__name__) from error
    except Image.DecompressionBombError as error:
        raise UnreadableImage("too many pixels") from error


def _flatten(image: Image.Image) -> Image.Image:
    """RGB on white for images with transparency or a palette (PNG screenshots, stickers)."""
    rgba = image.convert("RGBA")
    background = Image.new("RGB", rgba.size, (255, 255, 255))
    background.paste(rgba, mask=rgba.getchannel("A"))
    return background
