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
(tuned by the bench) decide. Even so, chance matches among a million stored photos would be frequent
for pictures with little structure, hence stage 2 below; the bench's figures are in
docs/operator-guide.md.

The lookup (models/photo_checks.py) finds candidates by multi-index hashing: the pHash is split into
four 16-bit chunks, each an indexed column; a candidate shares a chunk with one of the ten windows
within one bit. That finds every window within 7 pHash bits for certain (pigeonhole: 7 differing bits
in four chunks leave one chunk with at most one), and in practice most of those up to MATCH_PHASH, with
at most 680 index probes instead of reading a million rows.

Stage 2, the look (`Look`, 304 bytes a window). The two hashes alone still let pictures with little
structure (a grey sky's gradient, a diagonal edge) "match" one pair in half a million, which a million
stored photos turn into a chance match for most uploads. So a stage-1 candidate counts only when one of
the checked photo's ten windows also *looks* like the candidate's centre window, by three tests on what
the hashes do not keep: the colour (a 4×4 grid's chromaticity, the hashes being grey), the grey layout
itself (a 16×16 thumbnail divided by its mean, so brightening changes nothing, compared pixel by pixel:
the hashes keep only signs) and its detail (what is left of the 16×16 thumbnail once its best-fitting
smooth shading, a quadratic surface, is taken away, correlated: a sky's or a wall's gradient leaves
nothing there, so two gradients that the hashes cannot tell apart do not "look alike"). All three must
agree in the same window (`looks_alike`). The thresholds (LOOK_*) keep nearly every edit the bench makes
(a few crops, turns and brightened copies are lost); the bench measures each stage's false-match rate
alone and both together.

Bad input gives no fingerprint and no time, never an exception: not an image, an image Pillow opens but
cannot decode, more than `MAX_PIXELS`, broken or absent EXIF.
"""

from __future__ import annotations

import functools
import io
import logging
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

import imagehash
import numpy as np
from PIL import Image, ImageOps, ImageStat

from models.clock import BANGKOK

log = logging.getLogger(__name__)

# photos.fingerprint_version: a photo with a lower or no version is fingerprinted (again). 2: the looks
# (stage 2, migration 0024) added; the hashes are the same as version 1's.
VERSION = 2
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
# Stage 2 (a `Look` of a window): a GREY_SIDE² grey thumbnail and a COLOUR_SIDE² RGB one, one byte a value.
GREY_SIDE = 16
COLOUR_SIDE = 4
LOOK_BYTES = GREY_SIDE * GREY_SIDE + COLOUR_SIDE * COLOUR_SIDE * 3  # 304
# A window looks like another when all three hold (tuned with bench/photos_bench.py, one place):
LOOK_CHROMA = 0.035  # mean difference of the 4×4 cells' chromaticity (r/(r+g+b), g/(r+g+b)) at most this
LOOK_LAYOUT = 0.12  # mean difference of the 16×16 grey divided by its mean (brightness-free) at most this
LOOK_DETAIL = 0.6  # correlation of the 16×16 grey less its best quadratic surface at least this


def _without_shading() -> np.ndarray:
    """The projection that takes a 16×16 image's best-fitting quadratic surface (least squares) away."""
    y, x = (np.mgrid[0:GREY_SIDE, 0:GREY_SIDE].astype(np.float64) / (GREY_SIDE - 1) - 0.5).reshape(2, -1)
    surface = np.stack([np.ones_like(x), x, y, x * x, x * y, y * y], axis=1)
    return (np.eye(GREY_SIDE * GREY_SIDE) - surface @ np.linalg.pinv(surface)).astype(np.float32)


WITHOUT_SHADING = _without_shading()

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
class Look:
    """Stage 2: how one window looks — its 16×16 grey thumbnail and 4×4 colour one, as stored."""

    data: bytes  # LOOK_BYTES: grey row by row, then the colour cells' R, G, B

    def features(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(layout, detail, chroma) as compared: the grey over its mean, the grey less its shading
        normalised to unit length, the cells' chromaticity."""
        return _features(self.data)


@functools.lru_cache(maxsize=256)  # the checked photo's ten looks meet every candidate: computed once
def _features(data: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    values = np.frombuffer(data, dtype=np.uint8).astype(np.float32)
    grey = values[: GREY_SIDE * GREY_SIDE].reshape(GREY_SIDE, GREY_SIDE)
    colour = values[GREY_SIDE * GREY_SIDE :].reshape(-1, 3)
    layout = grey.ravel() / (float(grey.mean()) + 1.0)
    rest = WITHOUT_SHADING @ grey.ravel()
    detail = rest / (float(np.linalg.norm(rest)) + 1e-6)  # a bare gradient leaves noise: alike nothing
    chroma = (colour / (colour.sum(axis=1, keepdims=True) + 1.0))[:, :2].ravel()
    return layout, detail, chroma


def looks_alike(looks: Sequence[Look], stored: Look) -> bool:
    """Stage 2: does one of a checked photo's windows look like a stored photo's centre window — the
    same colours, the same layout and the same fine detail, all three in the same window?"""
    layout, detail, chroma = stored.features()
    for look in looks:
        w_layout, w_detail, w_chroma = look.features()
        if (
            float(np.abs(w_chroma - chroma).mean()) <= LOOK_CHROMA
            and float(np.abs(w_layout - layout).mean()) <= LOOK_LAYOUT
            and float(w_detail @ detail) >= LOOK_DETAIL
        ):
            return True
    return False


@dataclass(frozen=True)
class Fingerprint:
    """The stored centre window and the nine probes used when this photo is the one checked; and the
    same ten windows' looks (stage 2), centre first."""

    centre: Window
    probes: tuple[Window, ...]
    looks: tuple[Look, ...] = ()

    @property
    def windows(self) -> tuple[Window, ...]:
        return (self.centre, *self.probes)

    def probes_bytes(self) -> bytes:
        return b"".join(w.to_bytes() for w in self.probes)

    def centre_look_bytes(self) -> bytes | None:
        return self.looks[0].data if self.looks else None

    def probe_looks_bytes(self) -> bytes | None:
        return b"".join(look.data for look in self.looks[1:]) if self.looks else None


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
                image.draft("RGB", (WORK_SIZE, WORK_SIZE))  # JPEG: decode at 1/2..1/8 scale, much faster
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
    colour = ImageOps.exif_transpose(image).convert("RGB")  # as shown: a phone's rotation tag applied
    colour.thumbnail((WORK_SIZE, WORK_SIZE), Image.Resampling.LANCZOS)
    grey = colour.convert("L")
    if ImageStat.Stat(grey).stddev[0] < MIN_DETAIL:
        return None  # all black (a covered lens), all white: would "match" every other blank photo
    size = CENTRE * ZOOM
    places = [(0.5, 0.5, CENTRE)] + [
        (0.5 + dx * ZOOM, 0.5 + dy * ZOOM, size) for dx in SHIFTS for dy in SHIFTS
    ]
    windows = [_window(grey, colour, cx, cy, s) for cx, cy, s in places]
    return Fingerprint(windows[0][0], tuple(w for w, _ in windows[1:]), tuple(look for _, look in windows))


def _window(grey: Image.Image, colour: Image.Image, cx: float, cy: float, size: float) -> tuple[Window, Look]:
    w, h = grey.size
    box = (
        round((cx - size / 2) * w),
        round((cy - size / 2) * h),
        round((cx + size / 2) * w),
        round((cy + size / 2) * h),
    )
    part = grey.crop(box)
    window = Window(_bits(imagehash.phash(part, 8)), _bits(imagehash.dhash(part, 8)))
    # The look: box-averaged thumbnails of the same window (the average keeps them stable under noise).
    small = part.resize((GREY_SIDE, GREY_SIDE), Image.Resampling.BOX).tobytes()
    cells = colour.resize((COLOUR_SIDE, COLOUR_SIDE), Image.Resampling.BOX, box=box).tobytes()
    return window, Look(small + cells)


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


def looks_from_bytes(data: bytes | None) -> tuple[Look, ...]:
    """Stored looks (one or more, LOOK_BYTES each) back; () for none or a damaged value."""
    if not data or len(data) % LOOK_BYTES:
        return ()
    return tuple(Look(data[i : i + LOOK_BYTES]) for i in range(0, len(data), LOOK_BYTES))


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
