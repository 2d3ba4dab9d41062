"""Photos made small enough for a report: downscaled in memory, upright, as JPEG.

A phone photo is 3–12 MB; twenty of them would make a Word file nobody can mail and an HTML
file a phone cannot open. The originals stay untouched in the evidence store.
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from assistant.reports.model import ReportFile

log = logging.getLogger(__name__)

JPEG_QUALITY = 82
ORIENTATION_TAG = 0x0112
# Pillow decodes, resizes and encodes with the GIL released, so a few threads pay off.
MAX_WORKERS = 4


@dataclass(frozen=True)
class PreparedImage:
    data: bytes
    mime_type: str
    width: int
    height: int


def downscale(path: Path, max_side: int) -> PreparedImage | None:
    """The image at ``path`` with its long side at most ``max_side`` pixels, turned upright.

    A JPEG that is already small and upright is returned as it is, without re-encoding.

    Returns:
        ``None`` when the file cannot be read as an image (corrupt, truncated, not an image,
        or a decompression bomb): the report then lists the file instead of embedding it.
    """
    try:
        with Image.open(path) as image:
            width, height = image.size
            upright = image.getexif().get(ORIENTATION_TAG, 1) == 1
            if image.format == "JPEG" and upright and max(width, height) <= max_side:
                image.load()  # a truncated file fails here rather than in Word
                return PreparedImage(path.read_bytes(), "image/jpeg", width, height)
            scale = min(1.0, max_side / max(width, height))
            # JPEG only: decode at 1/2, 1/4 or 1/8 scale straight away, far cheaper than a
            # full decode followed by a resize.
            image.draft("RGB", (max(1, int(width * scale)), max(1, int(height * scale))))
            picture = ImageOps.exif_transpose(image)
            picture.thumbnail((max_side, max_side), Image.Resampling.BICUBIC)
            picture = _rgb(picture)
            buffer = io.BytesIO()
            picture.save(buffer, "JPEG", quality=JPEG_QUALITY)
            return PreparedImage(buffer.getvalue(), "image/jpeg", *picture.size)
    except (
        OSError,
        ValueError,
        EOFError,
        SyntaxError,
        UnidentifiedImageError,
        Image.DecompressionBombError,
    ) as exc:
        log.warning("cannot embed %s in the report (%s)", path.name, type(exc).__name__)
        return None


def prepare_photos(photos: Sequence[ReportFile], max_side: int) -> dict[int, PreparedImage | None]:
    """Evidence id → the downscaled photo, or ``None`` for one that cannot be opened."""
    if not photos:
        return {}
    workers = max(1, min(MAX_WORKERS, os.cpu_count() or 1, len(photos)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="report-photo") as pool:
        results = pool.map(lambda f: downscale(f.path, max_side), photos)
        return {photo.evidence_id: result for photo, result in zip(photos, results, strict=True)}


def _rgb(picture: Image.Image) -> Image.Image:
    if picture.mode in ("RGBA", "LA") or (picture.mode == "P" and "transparency" in picture.info):
        # JPEG has no transparency: put the picture on white, as a printed page would show it.
        rgba = picture.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return picture if picture.mode == "RGB" else picture.convert("RGB")
