"""The admin pages: sign-in and out, dashboard, complaint list and detail, photos.

Each view opens one transaction (`services.sessions`) and scopes every query to what the signed-in
user may see (`scope`): a head or officer of one district gets 404 for another district's complaint,
exactly as for one that does not exist, so codes cannot be probed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import wraps
from pathlib import Path
from typing import Any, Protocol

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.wrappers import Response

from models import Complaint, ComplaintEvent, Photo
from models.clock import BANGKOK, clock
from models.complaint_lifecycle import OPEN_VALUES
from models.complaints import ComplaintStatus
from models.db import transaction
from models.deadlines import OVERDUE_KINDS, overdue_condition
from models.districts import District
from models.staff import SignIn, StaffUser, sign_in
from models.thai_dates import THAI_MONTHS_SHORT, date_in
from models.tracking_codes import normalise_code
from texts import SECTIONS, template

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")
PAGE_SIZE = 50
OPEN = OPEN_VALUES  # models.complaint_lifecycle: the open statuses, as the column stores them


class SignedIn:
    """The Flask-Login user: a detached copy of the account, checked against the database each request."""

    def __init__(self, user: StaffUser) -> None:
        self.id, self.username, self.role = user.id, user.username, user.role
        self.district_code, self.session_version = user.district_code, user.session_version
        self._account = user

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    def may_see(self, district_code: str | None) -> bool:
        return self._account.may_see(district_code)

    def may_act(self, district_code: str | None) -> bool:
        return self._account.may_act(district_code)


class WebSettings(Protocol):
    """The settings the staff web reads (the app's `bot.settings.Settings` has them)."""

    secret_key: str
    public_base_url: str | None
    photo_dir: Path


class WebServices(Protocol):
    """What the app gives the staff web (`bot.services.Services`): settings, the database, a wake-up."""

    settings: WebSettings
    sessions: sessionmaker[Session]
    wake: threading.Event


def services() -> WebServices:
    return current_app.extensions["rongtook"]  # type: ignore[no-any-return]


def load_user(user_id: str) -> SignedIn | None:
    """An account is signed out everywhere when switched off or when its password changes."""
    ident, _, version = user_id.partition(":")
    if not ident.isdigit() or not version.isdigit():
        return None
    with transaction(services().sessions) as s:
        user = s.get(StaffUser, int(ident))
        if user is None or not user.active or user.session_version != int(version):
            return None
        s.expunge(user)
        return SignedIn(user)


def unauthorised() -> ResponseReturnValue:
    flash(text("session_expired"))
    return redirect(url_for("admin.login", next=request.full_path if request.method == "GET" else None))


# ---- language, texts, CSRF -----------------------------------------------------------------------


def lang() -> str:
    chosen = request.args.get("lang")
    if chosen in SECTIONS["admin"]:
        session["lang"] = chosen
    return session.get("lang", "th") if session.get("lang") in SECTIONS["admin"] else "th"


def text(key: str, **values: object) -> str:
    """The page language's words for `key`, its {placeholders} filled in when values are given."""
    try:
        words = template(f"admin.{key}", lang())
    except KeyError:
        words = key
    return words.format(**values) if values else words


def district_name(d: District) -> str:
    """A district's name in the page's language (Thai when there is no English one)."""
    return d.name_en if lang() == "en" and d.name_en else d.name_th


@bp.before_request
def before() -> None:
    g.lang = lang()
    if request.method == "POST":
        current_app.extensions["rongtook_csrf"].protect()


@bp.errorhandler(CSRFError)
def csrf_failed(error: CSRFError) -> ResponseReturnValue:
    return render_template("admin/message.html", message=text("csrf")), 400


@bp.app_template_global()
def t(key: str) -> str:
    return text(key)


@bp.app_template_global()
def in_language(language: str) -> str:
    """This page again in another language, its query (filters, year, month) kept."""
    args = {k: v for k, v in request.args.items() if k != "lang"}
    if request.method == "GET" and request.endpoint and request.endpoint.startswith("admin."):
        return url_for(request.endpoint, **(request.view_args or {}), **args, lang=language)
    return f"?lang={language}"


@bp.app_template_filter("day")
def day_filter(moment: datetime | date | None) -> str:
    if moment is None:
        return "–"
    if isinstance(moment, datetime):
        local = moment.astimezone(BANGKOK)
        return f"{date_in(local.date(), g.get('lang', 'th'))} {local:%H:%M}"
    return date_in(moment, g.get("lang", "th"))


@bp.app_template_filter("day_short")
def day_short_filter(d: date) -> str:
    """`16 พ.ย.` / `16 Nov`: a chart's axis has no room for the year."""
    if g.get("lang", "th") == "th":
        return f"{d.day} {THAI_MONTHS_SHORT[d.month - 1]}"
    return f"{d.day} {d:%b}"


# ---- sign in and out -----------------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    if request.method == "GET":
        return render_template("admin/login.html", next=_safe_next(request.args.get("next")))
    username = request.form.get("username", "")[:100]
    password = request.form.get("password", "")[:200]
    now = clock.now()
    with transaction(services().sessions) as s:
        result = sign_in(s, username, password, request.remote_addr or "?", now)
        if result.user is not None and result.outcome is SignIn.OK:
            s.expunge(result.user)
    # The page is rendered after the transaction ends: its header may read the session's account in
    # another one (on SQLite a second writer would wait for this one).
    if result.outcome is not SignIn.OK or result.user is None:
        message = text("paused" if result.outcome is SignIn.PAUSED else "wrong")
        status = 429 if result.outcome is SignIn.PAUSED else 401
        return render_template("admin/login.html", error=message, username=username), status
    user = SignedIn(result.user)
    language = session.get("lang")
    session.clear()  # a new session: nothing planted before the sign-in survives it (fixation)
    if language:
        session["lang"] = language
    session.permanent = True
    login_user(user)
    return redirect(_safe_next(request.form.get("next")) or url_for("admin.dashboard"))


def _safe_next(target: str | None) -> str | None:
    """Only a path of this site's admin pages (no scheme, no host): no open redirect."""
    if target and target.startswith("/admin/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@bp.post("/logout")
@login_required
def logout() -> ResponseReturnValue:
    logout_user()
    session.clear()
    flash(text("signed_out"))
    return redirect(url_for("admin.login"))


# ---- roles and scoping ----------------------------------------------------------------------------


View = Callable[..., ResponseReturnValue]


def roles_required(*roles: str) -> Callable[[View], View]:
    """A page for these roles only (and signed in): anyone else gets 403 with the reason in words."""

    def wrap(view: View) -> View:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> ResponseReturnValue:
            if current_user.role not in roles:
                return render_template("admin/message.html", message=text("forbidden")), 403
            return view(*args, **kwargs)

        return login_required(guarded)

    return wrap


# ---- scoping -------------------------------------------------------------------------------------


def scope(stmt: Select[Any]) -> Select[Any]:
    """Only the complaints the signed-in user may see."""
    if current_user.role in ("admin", "viewer"):
        return stmt
    return stmt.where(Complaint.district_code == current_user.district_code)


def visible_districts(s: Session) -> list[District]:
    districts = list(s.scalars(select(District).order_by(District.code)))
    return [d for d in districts if current_user.may_see(d.code)]


# ---- complaints ----------------------------------------------------------------------------------


def overdue(kind: str, now: datetime) -> ColumnElement[bool]:
    """Open complaints past one of their deadlines (the dashboard counts what the list filters): what
    overdue means is `models.deadlines` (`complaint_overdue`, here as its SQL `overdue_condition`)."""
    return overdue_condition(kind, now)


def due_today(kind: str, now: datetime) -> ColumnElement[bool]:
    """Open complaints whose deadline falls later today: what can still be done on time today."""
    today = now.astimezone(BANGKOK).date()
    tonight = datetime.combine(today + timedelta(days=1), time.min, tzinfo=BANGKOK)
    if kind == "ack":
        return and_(
            Complaint.status == ComplaintStatus.ROUTED.value,
            Complaint.ack_due_at >= now,
            Complaint.ack_due_at < tonight,
        )
    if kind == "first_progress":
        return and_(
            Complaint.status.in_(OPEN),
            Complaint.first_progress_at.is_(None),
            Complaint.first_progress_due_at >= now,
            Complaint.first_progress_due_at < tonight,
        )
    return and_(Complaint.status.in_(OPEN), Complaint.next_checkpoint_on == today)


@dataclass(frozen=True)
class Filters:
    """The complaint list's filters, from the query string (anything unreadable is ignored)."""

    q: str = ""
    district: str = ""
    status: str = ""
    category: str = ""
    date_from: date | None = None
    date_to: date | None = None
    overdue: str = ""
    due: str = ""  # due later today: ack, first_progress or checkpoint

    @classmethod
    def read(cls, args: Any) -> Filters:
        def day(name: str) -> date | None:
            try:
                return date.fromisoformat(args.get(name, ""))
            except ValueError:
                return None

        status = args.get("status", "")
        overdue = args.get("overdue", "")
        due = args.get("due", "")
        return cls(
            q=args.get("q", "").strip()[:200],
            district=args.get("district", "")[:4],
            status=status if status in {st.value for st in ComplaintStatus} else "",
            category=args.get("category", "")[:100],
            date_from=day("from"),
            date_to=day("to"),
            overdue=overdue if overdue in OVERDUE_KINDS else "",
            due=due if due in OVERDUE_KINDS else "",
        )

    def query(self) -> dict[str, str]:
        """The filters as query-string values (for the pager and export links)."""
        values = {
            "q": self.q,
            "district": self.district,
            "status": self.status,
            "category": self.category,
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
            "overdue": self.overdue,
            "due": self.due,
        }
        return {k: v for k, v in values.items() if v}

    def statement(self, now: datetime) -> Select[Any]:
        stmt = scope(select(Complaint))
        if self.district:
            stmt = stmt.where(Complaint.district_code == self.district)
        if self.status:
            stmt = stmt.where(Complaint.status == self.status)
        if self.category:
            stmt = stmt.where(Complaint.category == self.category)
        if self.date_from:
            start = datetime.combine(self.date_from, time.min, tzinfo=BANGKOK)
            stmt = stmt.where(Complaint.created_at >= start)
        if self.date_to:
            end = datetime.combine(self.date_to + timedelta(days=1), time.min, tzinfo=BANGKOK)
            stmt = stmt.where(Complaint.created_at < end)
        if self.overdue:
            stmt = stmt.where(overdue(self.overdue, now))
        if self.due:
            stmt = stmt.where(due_today(self.due, now))
        if self.q:
            code = normalise_code(self.q)
            # A typed code finds its complaint; words search the description (bound parameters: any
            # quote or percent sign is only text).
            words = self.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            matches = Complaint.description.ilike(f"%{words}%", escape="\\")
            stmt = stmt.where(or_(Complaint.tracking_code == code, matches) if code else matches)
        return stmt.order_by(Complaint.created_at.desc(), Complaint.id.desc())


@bp.get("/complaints")
@login_required
def complaints() -> ResponseReturnValue:
    filters = Filters.read(request.args)
    page = request.args.get("page", "1")
    number = int(page) if page.isdigit() and 0 < int(page) < 100_000 else 1
    stmt = filters.statement(clock.now())
    with transaction(services().sessions) as s:
        total = s.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = list(s.scalars(stmt.limit(PAGE_SIZE).offset((number - 1) * PAGE_SIZE)))
        districts = visible_districts(s)
        names = {d.code: d.name_th for d in districts}
        categories = sorted(c for c in s.scalars(scope(select(Complaint.category).distinct())) if c)
        for row in rows:
            s.expunge(row)
    pages = max(1, -(-total // PAGE_SIZE))
    return render_template(
        "admin/complaints.html",
        rows=rows,
        names=names,
        districts=districts,
        categories=categories,
        statuses=[st.value for st in ComplaintStatus],
        overdue_kinds=OVERDUE_KINDS,
        f=filters,
        query=filters.query(),
        page=number,
        pages=pages,
        total=total,
    )


@bp.get("/complaints/<code>")
@login_required
def complaint(code: str) -> ResponseReturnValue:
    normal = normalise_code(code)
    if normal is None:
        abort(404)
    with transaction(services().sessions) as s:
        row = s.scalar(select(Complaint).where(Complaint.tracking_code == normal))
        if row is None or not current_user.may_see(row.district_code):
            abort(404)  # another district's complaint looks like no complaint
        events = list(
            s.scalars(
                select(ComplaintEvent)
                .where(ComplaintEvent.complaint_id == row.id)
                .order_by(ComplaintEvent.at, ComplaintEvent.id)
            )
        )
        photos = list(s.scalars(select(Photo).where(Photo.complaint_id == row.id).order_by(Photo.id)))
        district = s.get(District, row.district_code) if row.district_code else None
        all_districts = list(s.scalars(select(District).order_by(District.name_th)))
        for d in all_districts:
            s.expunge(d)
        after_events = {e.id for e in events if e.kind == "resolved"}
        before = [p for p in photos if p.event_id is None or p.event_id not in after_events]
        after = [p for p in photos if p.event_id in after_events]
        for item in (row, *events, *photos):
            s.expunge(item)
        district_name = district.name_th if district else "–"
    now = clock.now()
    return render_template(
        "admin/complaint.html",
        c=row,
        events=events,
        before=before,
        after=after,
        district_name=district_name,
        all_districts=all_districts,
        deadlines=_deadlines(row, now),
    )


def _deadlines(c: Complaint, now: datetime) -> list[tuple[str, datetime | date | None, str]]:
    """(label, due, met | late | pending) for the acknowledgement and the first progress report."""

    def verdict(due: datetime | None, done: datetime | None) -> str:
        if due is None:
            return "pending"
        if done is not None:
            return "met" if done <= due else "late"
        return "late" if now > due else "pending"

    return [
        ("ack_due", c.ack_due_at, verdict(c.ack_due_at, c.acknowledged_at)),
        (
            "first_progress_due",
            c.first_progress_due_at,
            # A resolution before any progress report is the first report (RULES §2, default reading).
            verdict(c.first_progress_due_at, c.first_progress_at or c.resolved_at),
        ),
        ("next_checkpoint", c.next_checkpoint_on, "pending"),
    ]


@bp.get("/photos/<int:photo_id>")
@login_required
def photo(photo_id: int) -> ResponseReturnValue:
    with transaction(services().sessions) as s:
        row = s.get(Photo, photo_id)
        owner = s.get(Complaint, row.complaint_id) if row is not None and row.complaint_id else None
        if row is None or owner is None or not current_user.may_see(owner.district_code):
            abort(404)
        return send_photo(services(), row, max_age=600)


@bp.after_request
def no_framing(response: Response) -> Response:
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def send_photo(services: WebServices, photo: Photo, max_age: int) -> Response:
    """The photo's file (404 when it is gone from PHOTO_DIR), cached by the browser only."""
    path = services.settings.photo_dir / photo.path
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=photo.content_type, max_age=max_age)
    response.headers["Cache-Control"] = f"private, max-age={max_age}"
    return response
