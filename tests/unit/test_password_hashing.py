"""Staff passwords are stored with Werkzeug's full-cost scrypt (the tests' accounts use a light one)."""

from __future__ import annotations

from werkzeug.security import check_password_hash

from models import staff


def test_a_new_password_is_hashed_with_full_cost_scrypt_and_checks() -> None:
    hashed = staff.generate_password_hash("correct horse battery")
    method, _salt, _digest = hashed.split("$")
    assert method == "scrypt:32768:8:1"  # N=2^15, r=8, p=1: about a tenth of a second per guess
    assert check_password_hash(hashed, "correct horse battery")
    assert not check_password_hash(hashed, "correct horse batterY")


def test_an_unknown_user_costs_as_much_as_a_known_one() -> None:
    # Sign-in checks a dummy hash when the user does not exist, so timing does not tell who exists.
    staff.dummy_hash.cache_clear()  # made afresh: another test may have made it with its light hashing
    assert staff.dummy_hash().startswith("scrypt:32768:8:1$")
