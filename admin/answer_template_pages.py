"""The admin's answer templates page (/admin/settings/answer_templates, issue 18 point 3).

Per category, two lists — progress texts and result texts — that LINE offers officers as quick
replies when they report (handlers/officer_steps.py). Admins only, as every settings page: add, change
(text, on/off), move up or down, delete. The checks are the model's (models/answer_templates.py): a
refused template comes back on its own form with the reason in words and the typed text kept.
"""

from __future__ import annotations

from flask import request
from flask_login import current_user
from sqlalchemy.orm import Session

from admin.settings_pages import Done, Params, Refused, SettingsPage
from admin.views import services, text
from models.answer_templates import (
    KINDS,
    MAX_PER_LIST,
    MAX_TEXT,
    AnswerTemplate,
    TemplateError,
    clean_text,
    counts,
    delete_template,
    label_of,
    move_template,
    save_template,
    template_by_id,
    templates_of,
)
from models.categories import all_categories, category_by_code
from models.clock import clock
from models.db import transaction

ACTIONS = ("add", "save", "delete", "up", "down")


def _load(s: Session, category: str = "") -> Params:
    listed = all_categories(s)
    chosen = category_by_code(s, category) if category else None
    chosen = chosen or (listed[0] if listed else None)
    lists = {kind: templates_of(s, chosen.code, kind) for kind in KINDS} if chosen else {}
    return {
        "categories": listed,
        "counts": counts(s),
        "chosen": chosen,
        "lists": lists,
        "kinds": KINDS,
        "max_text": MAX_TEXT,
        "max_per_list": MAX_PER_LIST,
    }


def _query() -> Params:
    code = request.args.get("category", "").strip()
    if code:
        with transaction(services().sessions) as s:
            if category_by_code(s, code) is None:
                raise Refused("at_unknown_category")
    return {"category": code}


def _refused() -> Params:
    """A refused change shows the category it was for (a bad code falls back to the first one)."""
    return {"category": request.form.get("category", "").strip()[:40]}


def _refusal(exc: TemplateError, typed: str) -> Refused:
    # Every reason's words take the same values; each uses those it names.
    return Refused(
        f"at_{exc.reason}",
        n=MAX_TEXT,
        max=MAX_PER_LIST,
        length=len(clean_text(typed)),
        label=label_of(clean_text(typed)),
    )


def _template_id() -> int:
    raw = request.form.get("template_id", "").strip()
    if not (raw.isascii() and raw.isdigit() and len(raw) < 10):
        raise Refused("at_unknown_template")
    return int(raw)


def _kind_name(kind: str) -> str:
    return text(f"at_kind_{kind}")


def _change() -> Done:
    action = request.form.get("action", "")
    if action not in ACTIONS:
        raise Refused("set_bad_action")
    code = request.form.get("category", "").strip()[:40]
    kind = request.form.get("kind", "")
    typed = request.form.get("text", "")
    now, by = clock.now(), current_user.username
    back = {"category": code}
    with transaction(services().sessions) as s:
        try:
            if action in ("add", "save"):
                row = save_template(
                    s,
                    category_code=code,
                    kind=kind,
                    text=typed,
                    now=now,
                    by=by,
                    template_id=None if action == "add" else _template_id(),
                    active=action == "add" or request.form.get("active") == "on",
                )
                category = row.category_code
                key = "at_added" if action == "add" else "at_saved"
                message = text(
                    key, label=row.label, category=_category_name(s, category), kind=_kind_name(kind)
                )
                return Done(message, f"{action} template {row.id} ({category}, {kind})", back=back)
            row = _own(s, _template_id(), code)
            if action == "delete":
                delete_template(s, row.id)
                return Done(text("at_deleted", label=row.label), f"delete template {row.id}", back=back)
            move_template(s, row.id, -1 if action == "up" else 1, now, by)
            return Done(text("at_moved", label=row.label), f"{action} template {row.id}", back=back)
        except TemplateError as exc:
            raise _refusal(exc, typed) from None


def _own(s: Session, template_id: int, code: str) -> AnswerTemplate:
    """The template, if it is of the category the form was for (an old page's button otherwise)."""
    row = template_by_id(s, template_id)
    if row.category_code != code:
        raise TemplateError("unknown_template")
    return row


def _category_name(s: Session, code: str) -> str:
    category = category_by_code(s, code)
    return category.name_th if category else code


ANSWER_TEMPLATES_PAGE = SettingsPage(
    "answer_templates", _load, _change, query=_query, refused=_refused
).register()
