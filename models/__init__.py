"""Database models, the event log and the database plumbing.

Import the tables from here; nothing in this package knows of Flask or LINE.
"""

from models.access_records import PersonalDataView
from models.answer_templates import AnswerTemplate
from models.api_keys import ApiKey
from models.audits import AuditDraw, AuditFinding, AuditItem
from models.base import Base
from models.calendar_overrides import CalendarOverride, OverrideKind
from models.categories import Category
from models.complaint_followers import ComplaintFollower
from models.complaints import Channel, Complaint, ComplaintEvent, ComplaintStatus, Photo
from models.data_requests import DataRequest
from models.dialogs import Dialog
from models.district_groups import DistrictGroup, GroupLinkCode
from models.districts import District
from models.kpi_facts import ComplaintKpiFacts, KpiFactsBuild
from models.leases import Lease
from models.monthly_reports import MonthlyReport
from models.officer_links import LinkAttempts, OfficerLinkCode
from models.people import Citizen, Officer
from models.personal_data import ExportLink
from models.photo_flags import PhotoFlag
from models.push_quota import PushCount, QuotaReading
from models.queues import InboxEvent, OutboxMessage, QueueStatus
from models.reminders_sent import ReminderSent
from models.rich_menus import RichMenu, RichMenuLink, SandboxRichMenu, SandboxRichMenuLink
from models.sandbox import SandboxContent, SandboxMessage, SandboxReplyToken, SandboxRetryKey, SandboxUser
from models.sections import CategorySection
from models.staff import LoginFailures, StaffUser

__all__ = [
    "AnswerTemplate",
    "ApiKey",
    "AuditDraw",
    "AuditFinding",
    "AuditItem",
    "Base",
    "CalendarOverride",
    "Category",
    "CategorySection",
    "Channel",
    "Citizen",
    "Complaint",
    "ComplaintFollower",
    "ComplaintKpiFacts",
    "ComplaintEvent",
    "ComplaintStatus",
    "DataRequest",
    "ExportLink",
    "Dialog",
    "District",
    "DistrictGroup",
    "GroupLinkCode",
    "InboxEvent",
    "KpiFactsBuild",
    "Lease",
    "LinkAttempts",
    "LoginFailures",
    "MonthlyReport",
    "Officer",
    "OfficerLinkCode",
    "OutboxMessage",
    "OverrideKind",
    "PersonalDataView",
    "PhotoFlag",
    "PushCount",
    "QuotaReading",
    "Photo",
    "StaffUser",
    "QueueStatus",
    "ReminderSent",
    "RichMenu",
    "RichMenuLink",
    "SandboxContent",
    "SandboxMessage",
    "SandboxReplyToken",
    "SandboxRetryKey",
    "SandboxRichMenu",
    "SandboxRichMenuLink",
    "SandboxUser",
]
