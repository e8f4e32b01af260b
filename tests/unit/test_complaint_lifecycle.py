"""The lifecycle table: which transitions are allowed and which refused (filing is in tests/integration)."""

from __future__ import annotations

import pytest

from models.complaint_lifecycle import TransitionRefused, next_status


@pytest.mark.parametrize(
    ("action", "current", "expected"),
    [
        ("acknowledge", "routed", "acknowledged"),
        ("progress", "acknowledged", "in_progress"),
        ("resolve", "in_progress", "resolved"),
        ("transfer", "acknowledged", "routed"),
        ("reopen", "resolved", "in_progress"),
    ],
)
def test_allowed_transitions(action, current, expected):
    assert next_status(action, current) == expected


@pytest.mark.parametrize(
    ("action", "current"),
    [("acknowledge", "resolved"), ("resolve", "routed"), ("reopen", "in_progress"), ("fly", "routed")],
)
def test_refused_transitions(action, current):
    with pytest.raises(TransitionRefused):
        next_status(action, current)
