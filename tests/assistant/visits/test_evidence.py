"""Evidence files: EXIF time and GPS are read from photos sent as files; hostile images refused."""

import io

import pytest
from PIL import Image

from assistant.visits.evidence import EvidenceError, inspect_image


def jpeg_with_exif() -> bytes:
    image = Image.new("RGB", (40, 30), (10, 200, 10))
    exif = Image.Exif()
    exif[0x0132] = "2026:11:29 10:15:00"
    gps = {1: "N", 2: (31.0, 14.0, 0.0), 3: "E", 4: (121.0, 28.0, 30.0)}
    exif[0x8825] = gps
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def test_exif_time_and_position_are_kept():
    facts = inspect_image(jpeg_with_exif())
    assert facts.taken_at == "2026:11:29 10:15:00"
    assert facts.latitude == pytest.approx(31.2333, abs=1e-3)
    assert facts.longitude == pytest.approx(121.475, abs=1e-3)


def test_a_photo_without_exif_has_none():
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buffer, "PNG")
    facts = inspect_image(buffer.getvalue())
    assert (facts.taken_at, facts.latitude, facts.longitude) == (None, None, None)


def test_garbage_is_not_an_image():
    with pytest.raises(EvidenceError) as error:
        inspect_image(b"GIF89a but not really")
    assert error.value.key == "visit.evidence.not_an_image"
