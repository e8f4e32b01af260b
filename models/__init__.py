"""Database models, the event log and the database plumbing.

Import the tables from here; nothing in this package knows of Flask or LINE.
"""

from models.base import Base
from models.calendar import CalendarOverride, OverrideKind
from models.complaints import Complaint, ComplaintEvent, ComplaintStatus, Photo
from models.people import Citizen, Officer
from models.places import District
from models.queues import InboxEvent, OutboxMessage, QueueStatus
from models.sandbox import SandboxContent, SandboxMessage, SandboxReplyToken, SandboxRetryKey, SandboxUser

__all__ = [
    "Base",
    "CalendarOverride",
    "Citizen",
    "Complaint",
    "ComplaintEvent",
    "ComplaintStatus",
    "District",
    "InboxEvent",
    "Officer",
    "OutboxMessage",
    "OverrideKind",
    "Photo",
    "QueueStatus",
    "SandboxContent",
    "SandboxMessage",
    "SandboxReplyToken",
    "SandboxRetryKey",
    "SandboxUser",
]
