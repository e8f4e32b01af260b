"""Perceptual fingerprints (models/photo_fingerprints.py): a photo and its edited copies are close, different
photos far; the EXIF capture time; bad input gives nothing, never an exception."""

from __future__ import annotations

import io
import random
import struct
import zlib
from datetime import UTC, datetime

import pytest
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter

from models.photo_fingerprints import (
    MAX_PIXELS,
    Window,
    chunks,
    looks_alike,
    match_distance,
    near_chunks,
    probes_from_bytes,
    read_photo,
    signed,
    unsigned,
)


def scene(seed: int, size: tuple[int, int] = (640, 480)) -> Image.Image:
    """A made-up street-like photo: a sky-to-ground gradient, walls, poles, a road edge, signs, and noise."""
    rng = random.Random(seed)
    w, h = size
    image = Image.new("RGB", size)
    draw = ImageDraw.Draw(image)
    top = tuple(rng.randint(90, 230) for _ in range(3))
    bottom = tuple(rng.randint(20, 140) for _ in range(3))
    for y in range(h):
        t = y / h
        draw.line(
            [(0, y), (w, y)], fill=tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True))
        )
    for _ in range(rng.randint(6, 12)):
        x0, y0 = rng.randint(-w // 4, w), rng.randint(-h // 4, h)
        x1, y1 = x0 + rng.randint(w // 10, w // 2), y0 + rng.randint(h // 10, h // 2)
        colour = tuple(rng.randint(0, 255) for _ in range(3))
        if rng.random() < 0.5:
            draw.rectangle((x0, y0, x1, y1), fill=colour)
        else:
            draw.ellipse((x0, y0, x1, y1), fill=colour)
    for _ in range(rng.randint(2, 5)):
        x = rng.randint(0, w)
        draw.line(
            [(x, rng.randint(0, h // 2)), (x + rng.randint(-40, 40), h)],
            fill=(30, 30, 30),
            width=rng.randint(4, 12),
        )
    noise = Image.effect_noise(size, 18).convert("RGB")
    return Image.blend(image, noise, 0.08).filter(ImageFilter.GaussianBlur(0.6))


def jpeg(image: Image.Image, quality: int = 90, exif: bytes | None = None) -> bytes:
    buffer = io.BytesIO()
    if exif is None:
        image.save(buffer, "JPEG", quality=quality)
    else:
        image.save(buffer, "JPEG", quality=quality, exif=exif)
    return buffer.getvalue()


def reopened(data: bytes) -> Image.Image:
    with Image.open(io.BytesIO(data)) as image:
        return image.convert("RGB")


def cropped(image: Image.Image) -> Image.Image:
    w, h = image.size
    return image.crop((round(w * 0.07), round(h * 0.03), round(w * 0.97), round(h * 0.93)))


def rotated(image: Image.Image) -> Image.Image:
    w, h = image.size
    turned = image.rotate(3, resample=Image.Resampling.BICUBIC)
    return turned.crop((round(w * 0.045), round(h * 0.045), round(w * 0.955), round(h * 0.955)))


def stamped(image: Image.Image) -> Image.Image:
    out = image.copy()
    ImageDraw.Draw(out).text((image.width - 170, image.height - 30), "07/12/2026 14:32", fill=(255, 140, 0))
    return out


def painted(image: Image.Image) -> Image.Image:
    out = image.copy()
    box = (300, 200, 300 + image.width // 5, 200 + image.height // 5)
    out.paste(out.crop(box).filter(ImageFilter.GaussianBlur(25)), box[:2])
    return out


EDITS = {
    "resized": lambda im: im.resize((im.width // 2, im.height // 2), Image.Resampling.LANCZOS),
    "recompressed": lambda im: reopened(jpeg(im, 60)),
    "brightened": lambda im: ImageEnhance.Brightness(im).enhance(1.2),
    "darkened": lambda im: ImageEnhance.Brightness(im).enhance(0.8),
    "date stamp": stamped,
    "painted over": painted,
    "cropped 10 %": cropped,
    "rotated 3°": rotated,
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_an_edited_copy_matches_its_original(edit):
    for seed in range(6):
        original = read_photo(jpeg(scene(seed))).fingerprint
        copy = read_photo(jpeg(EDITS[edit](scene(seed)))).fingerprint
        assert original is not None and copy is not None
        assert match_distance(copy.windows, original.centre) is not None, (edit, seed)
        assert looks_alike(copy.looks, original.looks[0]), (edit, seed)  # stage 2 agrees too


def test_different_photos_do_not_match():
    prints = [read_photo(jpeg(scene(seed))).fingerprint for seed in range(100, 130)]
    for i, a in enumerate(prints):
        for j, b in enumerate(prints):
            if i != j:
                assert a is not None and b is not None
                assert match_distance(a.windows, b.centre) is None, (i, j)


def test_the_same_bytes_give_the_same_fingerprint_at_distance_zero():
    data = jpeg(scene(7))
    a, b = read_photo(data).fingerprint, read_photo(data).fingerprint
    assert a == b and a is not None
    assert match_distance(a.windows, a.centre) == 0
    assert len(a.probes) == 9 and probes_from_bytes(a.probes_bytes()) == a.probes


def test_sql_forms_of_a_hash_round_trip_and_chunks_cover_it():
    for value in (0, 1, (1 << 63) - 1, 1 << 63, (1 << 64) - 1, 0x0123_4567_89AB_CDEF):
        assert unsigned(signed(value)) == value and -(1 << 63) <= signed(value) < 1 << 63
    parts = chunks(0x0123_4567_89AB_CDEF)
    assert parts == (0x0123, 0x4567, 0x89AB, 0xCDEF)
    near = near_chunks(0x0123)
    assert len(set(near)) == 17 and all(((v ^ 0x0123).bit_count()) <= 1 for v in near)


def test_match_needs_the_phash_to_agree_too():
    a = Window(phash=0, dhash=0)
    assert a.match(Window(phash=(1 << 12) - 1, dhash=(1 << 8) - 1)) == 20  # 12 + 8: the limit
    assert a.match(Window(phash=(1 << 13) - 1, dhash=0)) is None  # 13 pHash bits: too far, whatever the dHash
    assert a.match(Window(phash=(1 << 10) - 1, dhash=(1 << 11) - 1)) is None  # 21 in all


def exif_block(original: str | None = None, offset: str | None = None, changed: str | None = None) -> bytes:
    exif = Image.Exif()
    if changed is not None:
        exif[306] = changed
    ifd = exif.get_ifd(0x8769)
    if original is not None:
        ifd[36867] = original
    if offset is not None:
        ifd[36881] = offset
    return exif.tobytes()


def test_exif_capture_time_without_offset_is_bangkok_time():
    facts = read_photo(jpeg(scene(1), exif=exif_block(original="2026:12:05 09:30:00")))
    assert facts.taken_at == datetime(2026, 12, 5, 2, 30, tzinfo=UTC)
    assert facts.fingerprint is not None


def test_exif_capture_time_with_its_offset():
    facts = read_photo(jpeg(scene(1), exif=exif_block(original="2026:12:05 09:30:00", offset="+09:00")))
    assert facts.taken_at == datetime(2026, 12, 5, 0, 30, tzinfo=UTC)


def test_exif_datetime_is_the_fallback_and_original_wins():
    only_changed = read_photo(jpeg(scene(1), exif=exif_block(changed="2025:01:02 12:00:00")))
    assert only_changed.taken_at == datetime(2025, 1, 2, 5, 0, tzinfo=UTC)
    both = read_photo(
        jpeg(scene(1), exif=exif_block(original="2024:06:01 08:00:00", changed="2025:01:02 12:00:00"))
    )
    assert both.taken_at == datetime(2024, 6, 1, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "value", ["0000:00:00 00:00:00", "2026:13:45 99:00:00", "yesterday", "1970:01:01 00:00:00"]
)
def test_nonsense_exif_times_are_no_time(value):
    facts = read_photo(jpeg(scene(2), exif=exif_block(original=value)))
    assert facts.taken_at is None and facts.fingerprint is not None


def test_broken_exif_block_gives_no_time_but_still_a_fingerprint():
    data = jpeg(
        scene(3), exif=b"Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08\xff\xff\x01\x32"
    )  # counts past the end
    facts = read_photo(data)
    assert facts.taken_at is None
    assert facts.fingerprint is not None


def test_no_exif_is_no_time():
    assert read_photo(jpeg(scene(4))).taken_at is None


@pytest.mark.parametrize(
    "data",
    [b"", b"not an image at all", b"%PDF-1.4\n" + b"0" * 100, jpeg(scene(5))[:2000]],
    ids=["empty", "text", "pdf", "truncated jpeg"],
)
def test_what_is_not_a_readable_image_gives_nothing(data):
    facts = read_photo(data)
    assert facts.fingerprint is None and facts.taken_at is None


def png_header_only(width: int, height: int, idat: bytes = b"") -> bytes:
    """A PNG that claims a size: Pillow opens it (the header) but its pixel data is missing or broken."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_an_image_pillow_opens_but_cannot_decode_gives_nothing():
    facts = read_photo(png_header_only(800, 600, zlib.compress(b"\x00" * 50)[:-3] + b"garbage"))
    assert facts.fingerprint is None


@pytest.mark.parametrize("side", [8_000, 20_000], ids=["over MAX_PIXELS", "a decompression bomb"])
def test_a_huge_image_is_not_decoded(side):
    assert side * side > MAX_PIXELS
    facts = read_photo(png_header_only(side, side, zlib.compress(b"\x00" * 1000)))
    assert facts.fingerprint is None and facts.taken_at is None


def test_a_tiny_image_has_no_fingerprint():
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 30, 30)).save(buffer, format="PNG")
    assert read_photo(buffer.getvalue()).fingerprint is None


def test_a_phone_rotation_tag_is_applied_before_the_fingerprint():
    upright = scene(9)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to show"
    stored_sideways = jpeg(upright.rotate(90, expand=True), exif=exif.tobytes())
    a = read_photo(jpeg(upright)).fingerprint
    b = read_photo(stored_sideways).fingerprint
    assert a is not None and b is not None
    assert match_distance(b.windows, a.centre) is not None


def test_a_blank_photo_has_no_fingerprint():
    """All black (a covered lens) would otherwise "match" every other blank photo."""
    assert read_photo(jpeg(Image.new("RGB", (640, 480), (0, 0, 0)))).fingerprint is None
    assert read_photo(jpeg(Image.new("RGB", (640, 480), (250, 250, 250)))).fingerprint is None
