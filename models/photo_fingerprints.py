"""A photo's perceptual fingerprint and its EXIF capture time, from the image bytes (pure: no database).

Which hashes, and why. The `imagehash` library's pHash (the low 8×8 DCT coefficients of a 32×32 grey
image, each above or below their median: 64 bits) survives resizing, JPEG recompression, brightness
and a date stamp with a few bits changed, and is what most near-duplicate detectors use. On its own it
has two weaknesses that `make bench-photos` measured on 755 distinct photos:

- a 10 % crop or a 3° rotation moves the whole frame, which changes 14-18 of its 64 bits (median to
  80th percentile), while one pair in 10,000 of unrelated but similar photos (grass, sky, tarmac) is
  within 16 bits — no threshold tells them apart;
- 64 bits are too few for a store of a million photos: at any threshold that keeps the edits, chance
  matches among a million stored photos are certain.

So a fingerprint here is taken of the **centre window** (the middle 80 % of width and height: a date
stamp in a corner, a border or a crop's lost edge are mostly outside it) and is **128 bits**: the
window's pHash and its dHash (the imagehash difference hash: brighter-than-the-right-neighbour of a 9×8
grey image), which react to different things, so unrelated photos rarely come close in both. A photo
being checked also computes nine more windows of itself, 1/0.92 larger and shifted by up to ±3.5 %
("probes"): the original's centre window is found among those of a cropped or rotated copy. The
distance between two photos is the smallest Hamming distance, over 128 bits, between the stored window
of one and any of the ten windows (centre + probes) of the other; `MATCH_DISTANCE` and `MATCH_PHASH`
(tuned by the bench) decide. Even so, chance matches among a million stored photos stay frequent for
pictures with little structure: the bench's figures and what they mean are in docs/operator-guide.md.

The lookup (models/photo_checks.py) finds candidates by multi-index hashing: the pHash is split into
four 16-bit chunks, each an indexed column; a candidate shares a chunk with one of the ten windows
within one bit. That finds every window within 7 pHash bits for certain (pigeonhole: 7 differing bits
in four chunks leave one chunk with at most one), and in practice most of those up to MATCH_PHASH, with
at most 680 index probes instead of reading a million rows.

Bad input gives no fingerprint and no time, never an exception: not an image, an image Pillow opens but
cannot decode, more than `MAX_PIXELS`, broken or absent EXIF.
"""

from __future__ import annotations

import io
import logging
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

import imagehash
from PIL import Image, ImageOps, ImageStat

from models.clock import BANGKOK

log = logging.getLogger(__name__)

VERSION = 1  # photos.fingerprint_version: a photo with a lower or no version is fingerprinted (again)
# "The same photo": at most MATCH_DISTANCE of the 128 bits differ, and at most MATCH_PHASH of the pHash's
# 64 (a smooth picture's dHash is nearly all ones, so two smooth pictures agree there by chance). Tuned
# with bench/photos_bench.py; this is the one place they are set.
MATCH_DISTANCE = 20
MATCH_PHASH = 12
MAX_PIXELS = 60_000_000  # larger images are not decoded (a 60 MP photo is already beyond phone cameras)
MIN_DETAIL = 3.0  # grey levels' standard deviation under which a photo is blank: no fingerprint
WORK_SIZE = 512  # the image is reduced to this before the windows are cut: pHash needs 32×32
CENTRE = 0.8  # the stored window: the middle 80 % of width and height
ZOOM = 1 / 0.92  # the probes: windows 1/0.92 larger than the centre (a crop or rotation's scale)
SHIFTS = (-0.035, 0.0, 0.035)  # the probes' offsets, a fraction of the image (a crop's shift)
CHUNKS = 4  # the pHash's indexed 16-bit chunks (multi-index hashing)
WINDOW_BYTES = 16  # one window: pHash then dHash, 8 bytes each, big-endian

EXIF_IFD = 0x8769
DATETIME = 306  # IFD0: when the file was last changed, the fallback
DATETIME_ORIGINAL = 36867  # Exif IFD: when the picture was taken
OFFSET_TIME = 36880
OFFSET_TIME_ORIGINAL = 36881
EXIF_TIME = re.compile(r"^\s*(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
EXIF_OFFSET = re.compile(r"^\s*([+-])(\d{2}):(\d{2})")


@dataclass(frozen=True)
class Window:
    """One window's two 64-bit hashes, unsigned."""

    phash: int
    dhash: int

    def distance(self, other: Window) -> int:
        return (self.phash ^ other.phash).bit_count() + (self.dhash ^ other.dhash).bit_count()

    def match(self, other: Window) -> int | None:
        """The distance when the two windows count as the same picture, else None."""
        phash = (self.phash ^ other.phash).bit_count()
        if phash > MATCH_PHASH:
            return None
        distance = phash + (self.dhash ^ other.dhash).bit_count()
        return distance if distance <= MATCH_DISTANCE else None

    def to_bytes(self) -> bytes:
        return self.phash.to_bytes(8, "big") + self.dhash.to_bytes(8, "big")

    @classmethod
    def from_bytes(cls, data: bytes) -> Window:
        return cls(int.from_bytes(data[:8], "big"), int.from_bytes(data[8:16], "big"))


@dataclass(frozen=True)
class Fingerprint:
    """The stored centre window and the nine probes used when this photo is the one checked."""

    centre: Window
    probes: tuple[Window, ...]

    @property
    def windows(self) -> tuple[Window, ...]:
        return (self.centre, *self.probes)

    def probes_bytes(self) -> bytes:
        return b"".join(w.to_bytes() for w in self.probes)


@dataclass(frozen=True)
class PhotoFacts:
    """What the image bytes tell: its fingerprint and capture time, each None when they cannot."""

    fingerprint: Fingerprint | None
    taken_at: datetime | None


def read_photo(data: bytes) -> PhotoFacts:
    """Fingerprint and EXIF capture time of an image; (None, None) for anything Pillow cannot read."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # MAX_PIXELS decides, below
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    log.info("photo not read: %d×%d is more than %d pixels", width, height, MAX_PIXELS)
                    return PhotoFacts(None, None)
                image.draft("L", (WORK_SIZE, WORK_SIZE))  # JPEG: decode at 1/2..1/8 scale, much faster
                image.load()  # broken pixel data fails here, before anything is read from it
                taken_at = capture_time(image)
                fingerprint = _fingerprint(image)
    except (OSError, SyntaxError, ValueError, TypeError, Image.DecompressionBombError, MemoryError) as exc:
        log.info("photo not fingerprinted: %s", exc.__class__.__name__)
        return PhotoFacts(None, None)
    return PhotoFacts(fingerprint, taken_at)


def fingerprint_of(data: bytes) -> Fingerprint | None:
    return read_photo(data).fingerprint


def match_distance(windows: Sequence[Window], stored: Window) -> int | None:
    """How far a stored photo's window is from the closest of a checked photo's windows, when it
    counts as the same picture; None when it does not."""
    found = [d for w in windows if (d := w.match(stored)) is not None]
    return min(found) if found else None


def _fingerprint(image: Image.Image) -> Fingerprint | None:
    if min(image.size) < 16:  # a few pixels carry no picture to compare
        return None
    grey = ImageOps.exif_transpose(image).convert("L")  # as shown: a phone's rotation tag applied
    grey.thumbnail((WORK_SIZE, WORK_SIZE), Image.Resampling.LANCZOS)
    if ImageStat.Stat(grey).stddev[0] < MIN_DETAIL:
        return None  # all black (a covered lens), all white: would "match" every other blank photo
    centre = _window(grey, 0.5, 0.5, CENTRE)
    size = CENTRE * ZOOM
    probes = tuple(_window(grey, 0.5 + dx * ZOOM, 0.5 + dy * ZOOM, size) for dx in SHIFTS for dy in SHIFTS)
    return Fingerprint(centre, probes)


def _window(grey: Image.Image, cx: float, cy: float, size: float) -> Window:
    w, h = grey.size
    box = (
        round((cx - size / 2) * w),
        round((cy - size / 2) * h),
        round((cx + size / 2) * w),
        round((cy + size / 2) * h),
    )
    part = grey.crop(box)
    return Window(_bits(imagehash.phash(part, 8)), _bits(imagehash.dhash(part, 8)))


def _bits(h: imagehash.ImageHash) -> int:
    value = 0
    for bit in h.hash.flatten():
        value = (value << 1) | int(bit)
    return value


# How the 64-bit pHash is kept in SQL: BIGINT is signed, the chunks are 16-bit integers.
def signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def unsigned(value: int) -> int:
    return value + (1 << 64) if value < 0 else value


def chunks(phash: int) -> tuple[int, ...]:
    """The pHash's four 16-bit chunks, high first: the indexed columns fp_chunk0..3."""
    return tuple((phash >> (48 - 16 * i)) & 0xFFFF for i in range(CHUNKS))


def near_chunks(value: int) -> list[int]:
    """A chunk and every value one bit away from it (17 values): the multi-index probes."""
    return [value] + [value ^ (1 << bit) for bit in range(16)]


def probes_from_bytes(data: bytes | None) -> tuple[Window, ...]:
    if not data:
        return ()
    return tuple(
        Window.from_bytes(data[i : i + WINDOW_BYTES])
        for i in range(0, len(data) - WINDOW_BYTES + 1, WINDOW_BYTES)
    )


def capture_time(image: Image.Image) -> datetime | None:
    """EXIF DateTimeOriginal, else DateTime, aware; a time without an offset is Bangkok's. None if absent
    or broken (a camera's unset clock writes zeros; a damaged block anything)."""
    try:
        exif = image.getexif()
        ifd = exif.get_ifd(EXIF_IFD)
        for value, offset in (
            (ifd.get(DATETIME_ORIGINAL), ifd.get(OFFSET_TIME_ORIGINAL)),
            (exif.get(DATETIME), ifd.get(OFFSET_TIME)),
        ):
            moment = _exif_moment(value, offset)
            if moment is not None:
                return moment
    except Exception as exc:  # noqa: BLE001 - any damage in the EXIF block means "no time", never a failure
        log.info("photo's EXIF unreadable: %s", exc.__class__.__name__)
    return None


def _exif_moment(value: object, offset: object) -> datetime | None:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    if not isinstance(value, str):
        return None
    m = EXIF_TIME.match(value)
    if m is None:
        return None
    try:
        local = datetime(*(int(g) for g in m.groups()))  # noqa: DTZ001 - the zone is set below
    except ValueError:  # 0000:00:00, month 13
        return None
    if not 1990 <= local.year <= 2100:
        return None
    if isinstance(offset, bytes):
        offset = offset.decode("ascii", "replace")
    om = EXIF_OFFSET.match(offset) if isinstance(offset, str) else None
    if om is None:
        return local.replace(tzinfo=BANGKOK).astimezone(UTC)
    sign = 1 if om.group(1) == "+" else -1
    minutes = sign * (int(om.group(2)) * 60 + int(om.group(3)))
    if abs(minutes) > 14 * 60:
        return local.replace(tzinfo=BANGKOK).astimezone(UTC)
    return local.replace(tzinfo=timezone(timedelta(minutes=minutes))).astimezone(UTC)
