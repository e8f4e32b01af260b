"""Answer templates (issue 18 point 3): ready texts an admin keeps per category for officers' progress
and result reports, offered in LINE as quick replies when an officer is asked for that text.

A template is sent by a quick reply's *message* action: tapping it sends the text as if the officer had
typed it, so the dialog takes it like typed text. That fixes what a template may be:

- at most `MAX_TEXT` (300) characters, LINE's limit on a message action's text;
- something the officer's dialog reads as a text, not as a command ("ยกเลิก", "ส่ง"), a tracking code,
  an officer link code or a message without words — those would be taken for something else;
- at most `MAX_PER_LIST` (10) per category and kind: a quick reply holds 13 items and the prompt keeps
  its own "ยกเลิก" (room is left for more of the dialog's buttons).

The button's label (LINE: at most 20 characters) is the start of the text, cut where a Thai vowel or
tone mark would not be split from its letter; two templates of a list may not share a label, or the
officer could not tell the buttons apart.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, UtcDateTime
from models.categories import MAX_LABEL, Category, category_by_code, category_by_name
from models.officer_links import looks_like_link_code
from models.tracking_codes import normalise_code
from texts import keyword

PROGRESS = "progress"
RESULT = "result"
KINDS = (PROGRESS, RESULT)
MAX_TEXT = 300  # LINE: a message action's text
MAX_PER_LIST = 10  # per category and kind: LINE's 13 quick replies less the dialog's own buttons
ELLIPSIS = "…"


class AnswerTemplate(Base):
    __tablename__ = "answer_templates"
    # The officer's prompt reads one category's list of one kind, in order.
    __table_args__ = (Index("ix_answer_templates_list", "category_code", "kind", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    category_code: Mapped[str] = mapped_column(ForeignKey("categories.code"))
    kind: Mapped[str] = mapped_column(String(8))  # of KINDS
    text: Mapped[str] = mapped_column(Text)  # at most MAX_TEXT characters (checked by `save_template`)
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_by: Mapped[str] = mapped_column(String(40))  # the staff username (or "cli")

    @property
    def label(self) -> str:
        return label_of(self.text)


class TemplateError(ValueError):
    """A template cannot be saved as asked; `reason` is a stable key the doors word themselves:
    bad_kind, unknown_category, unknown_template, empty, too_long, no_words, is_command, duplicate,
    same_label, full."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def clean_text(raw: str) -> str:
    """The text as it will be sent: the ends trimmed, a browser's CRLF as LINE's LF."""
    return raw.replace("\r\n", "\n").replace("\r", "\n").strip()


def label_of(text: str) -> str:
    """The quick-reply label: the whole text when it fits in 20 characters, else its start and "…",
    never ending on a letter whose vowel or tone mark was cut off."""
    flat = " ".join(text.split())
    if len(flat) <= MAX_LABEL:
        return flat
    cut = MAX_LABEL - len(ELLIPSIS)
    while cut > 0 and unicodedata.category(flat[cut]) == "Mn":  # a mark belongs to the letter before
        cut -= 1
    return flat[:cut].rstrip() + ELLIPSIS


def templates_of(
    session: Session, category_code: str, kind: str, active_only: bool = False
) -> list[AnswerTemplate]:
    """One category's list of one kind, in the order offered."""
    query = select(AnswerTemplate).where(
        AnswerTemplate.category_code == category_code, AnswerTemplate.kind == kind
    )
    if active_only:
        query = query.where(AnswerTemplate.active.is_(True))
    return list(session.scalars(query.order_by(AnswerTemplate.position, AnswerTemplate.id)))


def offered(session: Session, category_name: str | None, kind: str) -> list[AnswerTemplate]:
    """What LINE offers an officer reporting on a complaint of this category (complaints record the
    category's Thai name); nothing for a complaint without a known category."""
    category = category_by_name(session, category_name) if category_name else None
    if category is None or kind not in KINDS:
        return []
    return templates_of(session, category.code, kind, active_only=True)[:MAX_PER_LIST]


def counts(session: Session) -> dict[tuple[str, str], int]:
    """{(category code, kind): templates} for the admin's overview."""
    rows = session.execute(
        select(AnswerTemplate.category_code, AnswerTemplate.kind, func.count()).group_by(
            AnswerTemplate.category_code, AnswerTemplate.kind
        )
    )
    return {(code, kind): n for code, kind, n in rows}


def _checked_text(raw: str) -> str:
    text = clean_text(raw)
    if not text:
        raise TemplateError("empty")
    if len(text) > MAX_TEXT:
        raise TemplateError("too_long")
    if not any(ch.isalnum() for ch in text):
        raise TemplateError("no_words")  # the dialog would answer "no words" instead of taking it
    if keyword(text) is not None or normalise_code(text) or looks_like_link_code(text):
        raise TemplateError("is_command")  # the dialog would act on it instead of taking it
    return text


def save_template(
    session: Session,
    *,
    category_code: str,
    kind: str,
    text: str,
    now: datetime,
    by: str,
    template_id: int | None = None,
    active: bool = True,
) -> AnswerTemplate:
    """Add a template to the end of its list (`template_id` None) or change one's text and on/off."""
    if kind not in KINDS:
        raise TemplateError("bad_kind")
    category: Category | None = category_by_code(session, category_code)
    if category is None:
        raise TemplateError("unknown_category")
    row = None
    if template_id is not None:
        row = session.get(AnswerTemplate, template_id)
        if row is None or (row.category_code, row.kind) != (category.code, kind):
            raise TemplateError("unknown_template")
    cleaned = _checked_text(text)
    others = [t for t in templates_of(session, category.code, kind) if row is None or t.id != row.id]
    if any(t.text == cleaned for t in others):
        raise TemplateError("duplicate")
    if any(t.label == label_of(cleaned) for t in others):
        raise TemplateError("same_label")
    if row is None:
        if len(others) >= MAX_PER_LIST:
            raise TemplateError("full")
        top = max((t.position for t in others), default=0)
        row = AnswerTemplate(category_code=category.code, kind=kind, position=top + 10)
        session.add(row)
    row.text, row.active, row.updated_at, row.updated_by = cleaned, active, now, by[:40]
    session.flush()
    return row


def template_by_id(session: Session, template_id: int) -> AnswerTemplate:
    row = session.get(AnswerTemplate, template_id)
    if row is None:
        raise TemplateError("unknown_template")
    return row


def delete_template(session: Session, template_id: int) -> AnswerTemplate:
    """Gone for good (a report already sent keeps its own copy of the text). The row, for its words."""
    row = template_by_id(session, template_id)
    session.delete(row)
    session.flush()
    return row


def set_active(session: Session, template_id: int, active: bool, now: datetime, by: str) -> AnswerTemplate:
    """Switched off: kept on the page, no longer offered in LINE."""
    row = template_by_id(session, template_id)
    row.active, row.updated_at, row.updated_by = active, now, by[:40]
    session.flush()
    return row


def move_template(session: Session, template_id: int, step: int, now: datetime, by: str) -> AnswerTemplate:
    """One place earlier (step -1) or later (+1) in its list; at an end it stays. Positions are
    renumbered 10, 20, ... so two rows never share one."""
    row = template_by_id(session, template_id)
    rows = templates_of(session, row.category_code, row.kind)
    at = rows.index(row)
    to = min(max(at + (1 if step > 0 else -1), 0), len(rows) - 1)
    rows.insert(to, rows.pop(at))
    for n, each in enumerate(rows, start=1):
        each.position = n * 10
    row.updated_at, row.updated_by = now, by[:40]
    session.flush()
    return row
