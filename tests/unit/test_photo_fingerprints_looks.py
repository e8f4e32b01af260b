"""Stage 2 of the photo check (models/photo_fingerprints.Look): pictures the two hashes cannot tell apart —
the same grey picture in other colours, two smooth sky gradients — do not "look alike", while every edit a
person makes to a photo still does (tests/unit/test_photo_fingerprints.py holds the edits)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from models.photo_fingerprints import (
    LOOK_BYTES,
    Look,
    looks_alike,
    looks_from_bytes,
    match_distance,
    read_photo,
)
from tests.unit.test_photo_fingerprints import EDITS, jpeg, scene


def gradient(top: tuple[int, int, int], bottom: tuple[int, int, int]) -> Image.Image:
    """A sky from one colour at the top to another at the bottom, nothing else in it."""
    rows = np.linspace(top, bottom, 480, dtype=np.float32)[:, None, :] * np.ones((1, 640, 1), np.float32)
    return Image.fromarray(rows.round().astype(np.uint8), "RGB")


def recoloured(image: Image.Image) -> Image.Image:
    """The same brightness everywhere, the opposite colours (both colour-difference channels negated)."""
    y, cb, cr = image.convert("YCbCr").split()
    return Image.merge("YCbCr", (y, cb.point(lambda v: 255 - v), cr.point(lambda v: 255 - v))).convert("RGB")


def test_a_fingerprint_has_a_look_for_each_of_its_ten_windows_and_they_round_trip():
    fp = read_photo(jpeg(scene(3))).fingerprint
    assert fp is not None and len(fp.looks) == 10
    assert all(len(look.data) == LOOK_BYTES == 304 for look in fp.looks)
    centre, probes = fp.centre_look_bytes(), fp.probe_looks_bytes()
    assert centre is not None and probes is not None and len(probes) == 9 * LOOK_BYTES
    assert looks_from_bytes(centre) + looks_from_bytes(probes) == fp.looks
    assert looks_alike(fp.looks, fp.looks[0])


@pytest.mark.parametrize("data", [None, b"", b"x" * (LOOK_BYTES - 1), b"x" * (LOOK_BYTES + 5)])
def test_a_missing_or_damaged_stored_look_is_no_look(data):
    assert looks_from_bytes(data) == ()


def test_the_same_grey_picture_in_other_colours_passes_the_hashes_but_not_the_look():
    for seed in range(6):
        original = read_photo(jpeg(scene(seed))).fingerprint
        other = read_photo(jpeg(recoloured(scene(seed)))).fingerprint
        assert original is not None and other is not None
        assert match_distance(other.windows, original.centre) is not None  # grey hashes: "the same"
        assert not looks_alike(other.looks, original.looks[0]), seed


def test_two_different_sky_gradients_pass_the_hashes_but_not_the_look():
    # What made most chance matches among a million: pictures with no structure, only shading.
    dusk = read_photo(jpeg(gradient((150, 170, 210), (60, 70, 90)))).fingerprint
    noon = read_photo(jpeg(gradient((190, 200, 225), (120, 135, 170)))).fingerprint
    assert dusk is not None and noon is not None
    assert match_distance(noon.windows, dusk.centre) is not None
    assert not looks_alike(noon.looks, dusk.looks[0])


def test_different_photos_do_not_look_alike():
    prints = [read_photo(jpeg(scene(seed))).fingerprint for seed in range(100, 130)]
    for i, a in enumerate(prints):
        for j, b in enumerate(prints):
            if i != j:
                assert a is not None and b is not None
                assert not looks_alike(a.looks, b.looks[0]), (i, j)


@pytest.mark.parametrize("edit", ["brightened", "darkened", "cropped 10 %", "rotated 3°"])
def test_the_look_survives_the_edits_that_change_it_most(edit):
    for seed in range(6, 12):
        original = read_photo(jpeg(scene(seed))).fingerprint
        copy = read_photo(jpeg(EDITS[edit](scene(seed)), 60)).fingerprint
        assert original is not None and copy is not None
        assert looks_alike(copy.looks, original.looks[0]), (edit, seed)


def test_the_three_tests_must_hold_in_the_same_window():
    stored = read_photo(jpeg(scene(5))).fingerprint
    elsewhere = read_photo(jpeg(scene(6))).fingerprint
    assert stored is not None and elsewhere is not None
    grey, colour = stored.looks[0].data[:256], stored.looks[0].data[256:]
    other_grey = elsewhere.looks[0].data[:256]
    other_colour = bytes(255 - v for v in colour)  # the same cells in opposite colours
    right_colour_only, right_grey_only = Look(other_grey + colour), Look(grey + other_colour)
    assert not looks_alike((right_colour_only, right_grey_only), stored.looks[0])
    assert looks_alike((right_colour_only, right_grey_only, stored.looks[0]), stored.looks[0])
