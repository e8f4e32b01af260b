"""The complaint lifecycle: which action may move a complaint from which status.

One table says what is allowed; the operations (`models.complaint_operations`) go through it and
append to the event log in the same transaction. Pure: no database.
"""

from __future__ import annotations

from models.complaints import ComplaintStatus

S = ComplaintStatus
OPEN = (S.ROUTED, S.ACKNOWLEDGED, S.IN_PROGRESS)
OPEN_VALUES: tuple[str, ...] = tuple(s.value for s in OPEN)  # as the status column stores them

# (action, from status) -> to status. Anything not listed is refused.
TRANSITIONS: dict[tuple[str, ComplaintStatus], ComplaintStatus] = {
    ("acknowledge", S.ROUTED): S.ACKNOWLEDGED,
    ("progress", S.ACKNOWLEDGED): S.IN_PROGRESS,
    ("progress", S.IN_PROGRESS): S.IN_PROGRESS,
    ("resolve", S.ACKNOWLEDGED): S.RESOLVED,
    ("resolve", S.IN_PROGRESS): S.RESOLVED,
    **{("transfer", s): S.ROUTED for s in OPEN},
    **{("reject", s): S.REJECTED for s in OPEN},
    ("reopen", S.RESOLVED): S.IN_PROGRESS,
}

# The event each action appends to the log (`models.complaint_operations`).
EVENT_OF_ACTION: dict[str, str] = {
    "acknowledge": "acknowledged",
    "progress": "progress",
    "resolve": "resolved",
    "transfer": "transferred",
    "reject": "rejected",
    "reopen": "reopened",
}
# The status an event leaves a complaint in, read off TRANSITIONS: every move of an action ends in the
# same status whatever it came from, so a log replays without checking each move again. Events that
# no action appends (filed, routed, rated) are not in it.
STATUS_AFTER_EVENT: dict[str, ComplaintStatus] = {
    EVENT_OF_ACTION[action]: to for (action, _), to in TRANSITIONS.items()
}
# Every kind of event the system writes to a complaint's log: the actions' events, and the three
# no action appends (filed and routed on filing, routed again on a transfer; rated by the citizen).
# Each has its own words in every language (texts: "event_<kind>").
EVENT_KINDS: tuple[str, ...] = ("filed", "routed", *EVENT_OF_ACTION.values(), "rated")
# Staff hiding a text or a photo of the complaint from the public, and showing it again
# (models.public_hiding): kept in the log as the record of who, when and why, and shown to staff only —
# not in the citizen's history, not on any public page. They change neither status nor deadlines.
STAFF_EVENT_KINDS: tuple[str, ...] = ("hidden", "unhidden")


class TransitionRefused(ValueError):
    def __init__(self, action: str, status: str) -> None:
        super().__init__(f"cannot {action} a complaint that is {status}")
        self.action, self.status = action, status


def next_status(action: str, current: str) -> ComplaintStatus:
    try:
        return TRANSITIONS[(action, ComplaintStatus(current))]
    except (KeyError, ValueError):
        raise TransitionRefused(action, current) from None
