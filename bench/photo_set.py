"""The photos of `make bench-photos`: distinct real photographs from Debian's wallpaper packages, and
copies of them changed the ways a person changes a photo.

Which photos, and why they are realistic. No package ships hundreds of street photos, so the set is made
of **non-overlapping 320×240 crops of the real photographs** in two Debian packages (read where the
packages put them, never copied into the repository): `mate-backgrounds` (its `nature/` folder: 12
photographs — grass, leaves, flowers, water, wood, a storm over a road) and `plasma-workspace-wallpapers`
(the 10 of its wallpapers that are photographs: a jetty, piers, rowing boats at sunset, a forest path,
autumn leaves, trees, cups, a concrete façade, a kite in the sky, fog over a lake; the others are
drawings). Crops with almost no detail (a grey-blue sky, a blurred background: the standard deviation
of their grey levels under 12) are left out — a complaint photo shows something. Neighbouring crops of
one photograph share its light, colours and texture (the same grass field, the same tarmac), which
makes telling them apart *harder* than telling two complaints apart: a fair test of false matches.

Each crop is a distinct image; what the bench calls a "parent" is the photograph it was cut from.
"""

from __future__ import annotations

import io
import math
import os
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont

BACKGROUNDS = Path("/usr/share/backgrounds")
MATE_NATURE = BACKGROUNDS / "mate" / "nature"
PLASMA = Path("/usr/share/wallpapers")
PLASMA_PHOTOS = (
    "BytheWater",
    "ColdRipple",
    "ColorfulCups",
    "EveningGlow",
    "FallenLeaf",
    "Grey",
    "Honeywave",
    "Kite",
    "OneStandsOut",
    "Path",
)
PACKAGES = ("mate-backgrounds", "plasma-workspace-wallpapers")
CROP_W, CROP_H = 320, 240
MIN_DETAIL = 12.0  # grey-level standard deviation under which a crop is "nothing in particular"


@dataclass(frozen=True)
class Distinct:
    """One distinct image: its pixels and the photograph it was cut from."""

    image: Image.Image
    parent: str
    index: int


def source_photos() -> list[Path]:
    """The photographs the set is cut from; [] when the packages are not installed."""
    found = sorted(MATE_NATURE.glob("*.jpg")) if MATE_NATURE.is_dir() else []
    for name in PLASMA_PHOTOS:
        folder = PLASMA / name / "contents" / "images"
        if not folder.is_dir():
            continue
        sizes = [f for f in os.listdir(folder) if f.endswith((".jpg", ".png")) and "x" in f]
        if sizes:
            largest = max(sizes, key=lambda f: math.prod(int(n) for n in f.split(".")[0].split("x")))
            found.append(folder / largest)
    return found


def distinct_images() -> list[Distinct]:
    """Every non-overlapping detailed crop of every source photograph, in a fixed order."""
    out: list[Distinct] = []
    for path in source_photos():
        with Image.open(path) as opened:
            photo = opened.convert("RGB")
        for y in range(0, photo.height - CROP_H + 1, CROP_H):
            for x in range(0, photo.width - CROP_W + 1, CROP_W):
                crop = photo.crop((x, y, x + CROP_W, y + CROP_H))
                if float(np.asarray(crop.convert("L"), dtype=np.float32).std()) >= MIN_DETAIL:
                    out.append(Distinct(crop, _parent(path), len(out)))
    return out


def _parent(path: Path) -> str:
    return path.parts[-4] if "contents" in path.parts else path.stem  # plasma: <name>/contents/images/…


def jpeg(image: Image.Image, quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


# The changes, each as a person makes it. `rng` decides the random parts (which corner, which region).
def resized(im: Image.Image, rng: random.Random) -> Image.Image:
    return im.resize((im.width // 2, im.height // 2), Image.Resampling.LANCZOS)  # a chat app's downscale


def recompressed(im: Image.Image, rng: random.Random) -> Image.Image:
    with Image.open(io.BytesIO(jpeg(im, 60))) as again:
        return again.convert("RGB")


def cropped(im: Image.Image, rng: random.Random) -> Image.Image:
    """10 % cut off the width and the height, split between the sides at random."""
    w, h = im.size
    cw, ch = round(w * 0.9), round(h * 0.9)
    x, y = rng.randint(0, w - cw), rng.randint(0, h - ch)
    return im.crop((x, y, x + cw, y + ch))


def brightened(im: Image.Image, rng: random.Random) -> Image.Image:
    return ImageEnhance.Brightness(im).enhance(1.2)


def darkened(im: Image.Image, rng: random.Random) -> Image.Image:
    return ImageEnhance.Brightness(im).enhance(0.8)


def rotated(im: Image.Image, rng: random.Random) -> Image.Image:
    """Turned 3° (either way) and cut to the largest upright rectangle, as a phone's straighten tool."""
    w, h = im.size
    angle = rng.choice((-3.0, 3.0))
    turned = im.rotate(angle, resample=Image.Resampling.BICUBIC)
    a = math.radians(3.0)
    k = 1 / (math.cos(a) + math.sin(a) * max(w / h, h / w))
    iw, ih = int(w * k), int(h * k)
    return turned.crop(((w - iw) // 2, (h - ih) // 2, (w - iw) // 2 + iw, (h - ih) // 2 + ih))


def date_stamped(im: Image.Image, rng: random.Random) -> Image.Image:
    """A camera's orange date in a corner."""
    out = im.copy()
    draw = ImageDraw.Draw(out)
    font = ImageFont.load_default(size=max(12, im.height // 14))
    day, month, hour, minute = rng.randint(1, 28), rng.randint(1, 12), rng.randint(0, 23), rng.randint(0, 59)
    words = f"{day:02d}/{month:02d}/2026 {hour:02d}:{minute:02d}"
    box = draw.textbbox((0, 0), words, font=font)
    corner_x = rng.choice((8, im.width - box[2] - 8))
    draw.text((corner_x, im.height - box[3] - 8), words, fill=(255, 140, 0), font=font)
    return out


def painted_over(im: Image.Image, rng: random.Random) -> Image.Image:
    """An object removed: a region a quarter of the width and height (6 % of the picture) smoothed
    over with its own blurred surroundings, as a healing brush leaves it."""
    out = im.copy()
    w, h = im.size
    rw, rh = w // 4, h // 4
    x, y = rng.randint(0, w - rw), rng.randint(0, h - rh)
    region = out.crop((x, y, x + rw, y + rh)).filter(ImageFilter.GaussianBlur(max(rw, rh) / 3))
    out.paste(region, (x, y))
    return out


def screen_photo(im: Image.Image, rng: random.Random) -> Image.Image:
    """A photo of the photo shown on a screen: smaller, inside a dark bezel, softer, duller, re-encoded."""
    w, h = im.size
    scale = rng.uniform(0.65, 0.8)
    inner = im.resize((round(w * scale), round(h * scale)), Image.Resampling.LANCZOS)
    inner = ImageEnhance.Color(ImageEnhance.Contrast(inner).enhance(0.85)).enhance(0.9)
    frame = Image.new("RGB", (w, h), (25, 25, 28))
    frame.paste(
        inner, ((w - inner.width) // 2 + rng.randint(-6, 6), (h - inner.height) // 2 + rng.randint(-6, 6))
    )
    with Image.open(io.BytesIO(jpeg(frame.filter(ImageFilter.GaussianBlur(0.8)), 80))) as shot:
        return shot.convert("RGB")


Change = Callable[[Image.Image, random.Random], Image.Image]
# name: (change, recall target; None = measured and reported only)
CHANGES: dict[str, tuple[Change, float | None]] = {
    "resized 50 %": (resized, 0.95),
    "recompressed (JPEG 60)": (recompressed, 0.95),
    "brightened 20 %": (brightened, 0.95),
    "darkened 20 %": (darkened, 0.95),
    "date stamp": (date_stamped, 0.95),
    "painted over (6 %)": (painted_over, 0.95),
    "cropped 10 %": (cropped, 0.80),
    "rotated 3°": (rotated, 0.80),
    "photo of a screen": (screen_photo, None),
}


def random_windows(count: int, seed: int) -> list[Image.Image]:
    """Random crops (any size from 240 to 960 px wide, anywhere) of every *other* picture the packages
    ship — the drawings and abstract wallpapers, and Debian's other backgrounds (ukui-wallpapers where
    installed), never the photographs the distinct images are cut from: the material of the million
    stored fingerprints, so that none of them is a copy of a test image."""
    rng = random.Random(seed)
    tested = set(source_photos())
    paths = [p for p in sorted(BACKGROUNDS.rglob("*")) if p.suffix in (".jpg", ".png") and p not in tested]
    if PLASMA.is_dir():  # each wallpaper once, its largest size (the others are the same picture)
        for folder in sorted(PLASMA.glob("*/contents/images")):
            sizes = [f for f in os.listdir(folder) if f.endswith((".jpg", ".png")) and "x" in f]
            if sizes:
                largest = folder / max(
                    sizes, key=lambda f: math.prod(int(n) for n in f.split(".")[0].split("x"))
                )
                if largest not in tested:
                    paths.append(largest)
    images = []
    for path in paths:
        with Image.open(path) as opened:
            opened.draft("RGB", (1600, 1600))
            photo = opened.convert("RGB")
        photo.thumbnail((1600, 1600))
        images.append(photo)
    out = []
    for _ in range(count):
        photo = rng.choice(images)
        w = rng.randint(min(240, photo.width), min(960, photo.width))
        h = min(photo.height, round(w * 0.75))
        x, y = rng.randint(0, photo.width - w), rng.randint(0, photo.height - h)
        out.append(photo.crop((x, y, x + w, y + h)))
    return out
