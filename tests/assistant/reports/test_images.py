"""Photos downscaled in memory for the report; unreadable files reported, not embedded."""

import io
from pathlib import Path

from PIL import Image

from assistant.reports.images import downscale, prepare_photos
from tests.assistant.reports.conftest import write_photo


def test_a_big_photo_is_downscaled_to_the_long_side(tmp_path: Path):
    path = write_photo(tmp_path / "big.jpg", (3000, 2000))
    image = downscale(path, 1600)
    assert image is not None
    assert (image.width, image.height) == (1600, 1067)
    assert image.mime_type == "image/jpeg"
    with Image.open(io.BytesIO(image.data)) as decoded:
        assert decoded.format == "JPEG" and max(decoded.size) == 1600
    assert len(image.data) < path.stat().st_size


def test_a_small_upright_jpeg_is_used_as_it_is(tmp_path: Path):
    path = write_photo(tmp_path / "small.jpg", (800, 600))
    image = downscale(path, 1024)
    assert image is not None and image.data == path.read_bytes()


def test_a_rotated_photo_is_turned_upright(tmp_path: Path):
    path = tmp_path / "rotated.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # the camera was turned: the picture must be rotated 90° to show upright
    Image.new("RGB", (400, 300), "red").save(path, "JPEG", exif=exif)
    image = downscale(path, 1024)
    assert image is not None and (image.width, image.height) == (300, 400)


def test_a_transparent_png_becomes_a_jpeg_on_white(tmp_path: Path):
    path = tmp_path / "logo.png"
    Image.new("RGBA", (2000, 1000), (0, 0, 0, 0)).save(path)
    image = downscale(path, 1000)
    assert image is not None and image.mime_type == "image/jpeg"
    with Image.open(io.BytesIO(image.data)) as decoded:
        assert decoded.size == (1000, 500)
        assert decoded.getpixel((10, 10)) == (255, 255, 255)


def test_unreadable_files_give_none(tmp_path: Path):
    corrupt = tmp_path / "corrupt.jpg"
    corrupt.write_bytes(b"\xff\xd8 not really a jpeg")
    truncated = tmp_path / "truncated.jpg"
    whole = write_photo(tmp_path / "whole.jpg", (600, 400)).read_bytes()
    truncated.write_bytes(whole[: len(whole) // 2])
    assert downscale(corrupt, 1600) is None
    assert downscale(truncated, 1600) is None
    assert downscale(tmp_path / "missing.jpg", 1600) is None


def test_many_photos_are_prepared_together(photo_files):
    files = photo_files(6, corrupt=1)
    prepared = prepare_photos(files, 300)
    assert set(prepared) == {f.evidence_id for f in files}
    assert [prepared[f.evidence_id] is None for f in files] == [False] * 6 + [True]
    assert all(max(p.width, p.height) <= 300 for p in prepared.values() if p is not None)
    assert prepare_photos([], 300) == {}
