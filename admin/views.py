"""The admin pages: sign-in and out, dashboard, complaint list and detail, photos.

Each view opens one transaction (`services.sessions`) and scopes every query to what the signed-in
user may see (`scope`): a head or officer of one district gets 404 for another district's complaint,
exactly as for one that does not exist, so codes cannot be probed.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
from sqlalchemy import ColumnElement, Select, and_, func, select
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.wrappers import Response

from models import ApiKey, Citizen, Complaint, ComplaintEvent, Officer, Photo
from models.access_records import COMPLAINT_PAGE, Viewer, fields_shown, record_view
from models.clock import BANGKOK, clock
from models.complaint_followers import follower_verdicts
from models.complaint_lifecycle import OPEN_VALUES, STAFF_EVENT_KINDS
from models.complaints import Channel, ComplaintStatus
from models.db import transaction
from models.deadlines import OVERDUE_KINDS, overdue_condition
from models.districts import District, sorted_districts
from models.photo_flags import flag_views, flagged_complaint_ids
from models.public_hiding import PHOTO, TEXT, has_public_text, item_of, replayed
from models.staff import EVERY_DISTRICT_ROLES, SignIn, StaffUser, sign_in
from models.thai_dates import THAI_MONTHS_SHORT, buddhist_year, ce_year, date_in
from models.tracking_codes import normalise_code
from texts import SECTIONS, template

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")
PAGE_SIZE = 50
OPEN = OPEN_VALUES  # models.complaint_lifecycle: the open statuses, as the column stores them


class SignedIn:
    """The Flask-Login user: a detached copy of the account, checked against the database each request."""

    def __init__(self, user: StaffUser, district: District | None = None) -> None:
        self.id, self.username, self.role = user.id, user.username, user.role
        self.district_code, self.session_version = user.district_code, user.session_version
        self.district = district  # the account's district, for its name in the top bar
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
    read_sessions: sessionmaker[Session]  # DATABASE_REPLICA_URL's when set, else the same as `sessions`
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
        district = s.get(District, user.district_code) if user.district_code else None
        s.expunge_all()
        return SignedIn(user, district)


# Set at each sign-in, for a year (it holds nothing but "1"): a browser that carries it has been signed in
# here before, so when it comes signed out its session has ended. A first visit has no such cookie and is
# just asked to sign in; signing out removes it.
SIGNED_IN_BEFORE = "rongtook_admin_seen"
SIGNED_IN_BEFORE_DAYS = 365


def unauthorised() -> ResponseReturnValue:
    # A session cookie that names an account no longer valid (password changed, account switched off)
    # also means "again"; Flask-Login keeps the `_user_id` it could not load.
    if request.cookies.get(SIGNED_IN_BEFORE) or "_user_id" in session:
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


@bp.app_template_filter("district_name")
def district_name(d: District) -> str:
    """A district's name in the page's language (Thai when there is no English one): every page
    shows a district by this, in Python or as the templates' `d|district_name`."""
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


# ---- days typed into forms ------------------------------------------------------------------------

# A date field takes a day as staff write it, d/m/yyyy: the year Buddhist Era from 2400 on (31/12/2569),
# CE below (31/12/2026), in either language; or ISO yyyy-mm-dd, always CE, as links and scripts send it.
# The fields (admin/date_input.html) show the day back as d/m/yyyy, BE for Thai readers, CE for others.
TYPED_DAY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
ISO_DAY = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
TYPED_YEARS = (2000, 2200)  # CE years a date field takes (BE 2543–2743): any other is a typo


def typed_day(raw: str) -> date:
    """The day typed into a date field; ValueError when it is not one (no such day, or years off)."""
    value = raw.strip()
    if found := TYPED_DAY.fullmatch(value):
        day, month, year = (int(part) for part in found.groups())
        year = ce_year(year)
    elif found := ISO_DAY.fullmatch(value):
        year, month, day = (int(part) for part in found.groups())
    else:
        raise ValueError(f"not a day: {value!r}")
    result = date(year, month, day)  # ValueError for 31/2
    if not TYPED_YEARS[0] <= result.year <= TYPED_YEARS[1]:
        raise ValueError(f"year out of range: {value!r}")
    return result


@bp.app_template_filter("date_field")
def date_field(d: date | None) -> str:
    """A day as a date field shows it: `31/12/2569` to Thai readers, `31/12/2026` to others."""
    if d is None:
        return ""
    return f"{d.day}/{d.month}/{buddhist_year(d) if g.get('lang', 'th') == 'th' else d.year}"


@bp.app_template_filter("iso_day_field")
def iso_day_field(value: str) -> str:
    """An ISO day (CE) as the KPI pages' day field shows it, whose reader takes a BE year as BE:
    `2569-12-31` to Thai readers, `2026-12-31` to others; anything else as it was typed."""
    try:
        d = date.fromisoformat(value)
    except ValueError:
        return value
    return f"{buddhist_year(d) if g.get('lang', 'th') == 'th' else d.year}-{d:%m-%d}"


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
    response = redirect(_safe_next(request.form.get("next")) or url_for("admin.dashboard"))
    response.set_cookie(
        SIGNED_IN_BEFORE,
        "1",
        max_age=SIGNED_IN_BEFORE_DAYS * 86400,
        path=bp.url_prefix,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )
    return response


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
    response = redirect(url_for("admin.login"))
    response.delete_cookie(SIGNED_IN_BEFORE, path=bp.url_prefix)  # a visit after this is a new start
    return response


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
    if current_user.role in EVERY_DISTRICT_ROLES:
        return stmt
    return stmt.where(Complaint.district_code == current_user.district_code)


def visible_districts(s: Session) -> list[District]:
    """The districts the signed-in user may see, in the page language's order (`sorted_districts`)."""
    districts = sorted_districts(s.scalars(select(District)), lang())
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


CHANNELS = tuple(c.value for c in Channel)
CONTACT_ROLES = ("admin", "intake", "head", "officer")  # who sees a reporter's name, phone and e-mail


@dataclass(frozen=True)
class Filters:
    """The complaint list's filters, from the query string (anything else unreadable is ignored; a
    day that is not one is kept, as typed, in `bad_days`: the list and exports refuse it in words)."""

    q: str = ""
    district: str = ""
    status: str = ""
    category: str = ""
    channel: str = ""  # models.complaints.Channel
    date_from: date | None = None
    date_to: date | None = None
    overdue: str = ""
    due: str = ""  # due later today: ack, first_progress or checkpoint
    flagged: str = ""  # "1": only complaints with a flagged progress or "after" photo (models.photo_flags)
    bad_days: tuple[str, ...] = ()

    @classmethod
    def read(cls, args: Any) -> Filters:
        bad: list[str] = []

        def day(name: str) -> date | None:
            raw = args.get(name, "").strip()[:40]
            try:
                return typed_day(raw) if raw else None
            except ValueError:
                bad.append(raw)
                return None

        status = args.get("status", "")
        overdue = args.get("overdue", "")
        due = args.get("due", "")
        return cls(
            q=args.get("q", "").strip()[:200],
            district=args.get("district", "")[:4],
            status=status if status in {st.value for st in ComplaintStatus} else "",
            category=args.get("category", "")[:100],
            channel=channel if (channel := args.get("channel", "")) in CHANNELS else "",
            date_from=day("from"),
            date_to=day("to"),
            overdue=overdue if overdue in OVERDUE_KINDS else "",
            due=due if due in OVERDUE_KINDS else "",
            flagged="1" if args.get("flagged", "") == "1" else "",
            bad_days=tuple(bad),
        )

    def query(self) -> dict[str, str]:
        """The filters as query-string values (for the pager and export links)."""
        values = {
            "q": self.q,
            "district": self.district,
            "status": self.status,
            "category": self.category,
            "channel": self.channel,
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
            "overdue": self.overdue,
            "due": self.due,
            "flagged": self.flagged,
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
        if self.channel:
            stmt = stmt.where(Complaint.channel == self.channel)
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
        if self.flagged:
            stmt = stmt.where(Complaint.id.in_(flagged_complaint_ids()))
        if self.code:  # a typed code finds its complaint, by the unique index, and nothing else
            stmt = stmt.where(Complaint.tracking_code == self.code)
        elif self.q:
            # Words search the description (bound parameters: any quote or percent sign is only text);
            # on PostgreSQL by the trigram index of migration 0028.
            words = self.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            stmt = stmt.where(Complaint.description.ilike(f"%{words}%", escape="\\"))
        # The newest first, ids breaking ties: the order the indexes on (…, created_at, id) are read in.
        return stmt.order_by(Complaint.created_at.desc(), Complaint.id.desc())

    @property
    def code(self) -> str | None:
        """The search as a tracking code, if it can be one (case, spaces and a missing dash forgiven)."""
        return normalise_code(self.q) if self.q else None

    @property
    def words(self) -> bool:
        """A search of the descriptions' words (not a code): its count is capped (`SEARCH_COUNT_CAP`)."""
        return bool(self.q) and self.code is None


# A word search that matches more than this many complaints is counted only this far (shown "1,000+"):
# a common word matches a large share of a million descriptions, and counting them all costs seconds
# where the page of the newest needs milliseconds (each counted match is a row read); past a thousand,
# staff narrow the search rather than page through it.
SEARCH_COUNT_CAP = 1_000


@dataclass(frozen=True)
class Listing:
    """One page of the complaint list: its rows, the total (`capped`: at least that many), the pages."""

    rows: list[Complaint]
    total: int
    capped: bool
    pages: int


def list_page(s: Session, stmt: Select[Any], filters: Filters, number: int) -> Listing:
    """The page `number` of the filtered, ordered list. The total is counted without the ORDER BY (a
    count needs no order; with it PostgreSQL sorted every row first). The page is chosen by ids alone,
    read in order from an index whose columns include the filter's (a deep page skips index entries, not
    whole rows), then only its rows are read whole."""
    matching = stmt.order_by(None).with_only_columns(Complaint.id)
    ids_in_order = stmt.with_only_columns(Complaint.id).limit(PAGE_SIZE).offset((number - 1) * PAGE_SIZE)
    if filters.words:
        with by_trigrams(s) as few:
            found = s.scalar(
                select(func.count()).select_from(matching.limit(SEARCH_COUNT_CAP + 1).subquery())
            )
            total, capped = min(int(found or 0), SEARCH_COUNT_CAP), int(found or 0) > SEARCH_COUNT_CAP
            if not capped:
                few()
            ids = list(s.scalars(ids_in_order))
    else:
        total, capped = int(s.scalar(select(func.count()).select_from(matching.subquery())) or 0), False
        ids = list(s.scalars(ids_in_order))
    by_id = {c.id: c for c in s.scalars(select(Complaint).where(Complaint.id.in_(ids)))} if ids else {}
    rows = [by_id[i] for i in ids if i in by_id]
    return Listing(rows, total, capped, max(1, -(-total // PAGE_SIZE)))


@contextmanager
def by_trigrams(s: Session) -> Iterator[Callable[[], None]]:
    """On PostgreSQL, a word search reads the trigram index whatever the planner guesses of the word (it
    guesses a word's share of the descriptions from a sample, and a rare word guessed common was a scan of
    every row): its count from the index (stopping at the cap), and, when it matched few (`few()`, under
    the cap), its page from those rows sorted, not a walk of the newest complaints for rare matches. A
    common word's page is the newest complaints read in order until 50 match, soon. Reset after."""
    postgres = s.get_bind().dialect.name == "postgresql"

    def few() -> None:
        if postgres:
            s.execute(sql_text("SET LOCAL enable_indexscan = off"))

    if postgres:
        s.execute(sql_text("SET LOCAL enable_seqscan = off"))
    try:
        yield few
    finally:
        if postgres:
            s.execute(sql_text("SET LOCAL enable_seqscan = on"))
            s.execute(sql_text("SET LOCAL enable_indexscan = on"))


def list_categories(s: Session) -> list[str]:
    """The categories of the complaints the signed-in user may see, for the list's filter. Every district:
    each next category by the category index (a loose index scan: as many probes as categories, not a
    read of a million rows); one district: its complaints' categories from its covering index."""
    if current_user.role in EVERY_DISTRICT_ROLES:
        found = s.scalars(
            sql_text(
                "WITH RECURSIVE c(v) AS (SELECT min(category) FROM complaints UNION ALL "
                "SELECT (SELECT min(category) FROM complaints WHERE category > c.v) FROM c "
                "WHERE c.v IS NOT NULL) SELECT v FROM c WHERE v IS NOT NULL"
            )
        )
    else:
        found = s.scalars(scope(select(Complaint.category).distinct()))
    return sorted(c for c in found if c)


@bp.get("/complaints")
@login_required
def complaints() -> ResponseReturnValue:
    filters = Filters.read(request.args)
    page = request.args.get("page", "1")
    number = int(page) if page.isdigit() and 0 < int(page) < 100_000 else 1
    stmt = filters.statement(clock.now())
    with transaction(services().sessions) as s:
        # A wrong day is refused in words (400), not a list that the wrong day did not narrow.
        listing = Listing([], 0, False, 1) if filters.bad_days else list_page(s, stmt, filters, number)
        districts = visible_districts(s)
        names = {d.code: district_name(d) for d in districts}
        categories = list_categories(s)
        for row in listing.rows:
            s.expunge(row)
    total, pages = listing.total, listing.pages
    return render_template(
        "admin/complaints.html",
        rows=listing.rows,
        names=names,
        districts=districts,
        categories=categories,
        statuses=[st.value for st in ComplaintStatus],
        channels=CHANNELS,
        overdue_kinds=OVERDUE_KINDS,
        f=filters,
        query=filters.query(),
        page=number,
        pages=pages,
        total=f"{total:,}+" if listing.capped else total,  # "1,000+": at least that many
        error=text("bad_date", value=filters.bad_days[0]) if filters.bad_days else None,
    ), (400 if filters.bad_days else 200)


@bp.get("/complaints/<code>")
@login_required
def complaint(code: str) -> ResponseReturnValue:
    normal = normalise_code(code)
    if normal is None:
        abort(404)
    return complaint_page(normal)


def complaint_page(normal: str, warning: Any = None) -> ResponseReturnValue:
    """The complaint's page; `warning`: a progress or resolution form sent back because a photo matched an
    earlier one (admin.actions), shown filled in as it was sent."""
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
        all_districts = sorted_districts(s.scalars(select(District)), lang())
        for d in all_districts:
            s.expunge(d)
        after_events = {e.id for e in events if e.kind == "resolved"}
        before = [p for p in photos if p.event_id is None or p.event_id not in after_events]
        after = [p for p in photos if p.event_id in after_events]
        lines = timeline(s, events)
        place = _place(row, events, lines)
        public = _public_marks(events, lines)
        for item in (row, *events, *photos):
            s.expunge(item)
        name = district_name(district) if district else "–"
        client = s.get(ApiKey, row.api_key_id) if row.api_key_id else None
        client_name = client.name if client else ""
        # The reporter's contact and the citizen's LINE name are personal data: for those who answer the
        # case, not for viewers; each view that shows them is recorded (models.access_records).
        show_contact = current_user.role in CONTACT_ROLES
        line_name = _line_name(s, row) if show_contact else None
        if show_contact:
            viewer = Viewer(current_user.id, current_user.username, current_user.role)
            record_view(s, viewer, [row.id], fields_shown(row, line_name), COMPLAINT_PAGE, clock.now())
        flags = flag_views(s, services().settings.photo_dir, row.id)
        followers = follower_verdicts(s, row.id)  # "me too": how many follow it, and what they said
    now = clock.now()
    return render_template(
        "admin/complaint.html",
        c=row,
        client_name=client_name,
        show_contact=show_contact,
        line_name=line_name,
        events=lines,
        place=place,
        before=before,
        after=after,
        district_name=name,
        all_districts=all_districts,
        deadlines=_deadlines(row, now),
        public=public,
        flags=flags,
        warning=warning,
        followers=followers,
    )


def _line_name(s: Session, complaint: Complaint) -> str | None:
    """The LINE display name of the citizen who filed it (None: another channel, or erased)."""
    if complaint.citizen_id is None:
        return None
    return s.scalar(select(Citizen.display_name).where(Citizen.id == complaint.citizen_id))


ACTORS = {
    "citizen": "tl_citizen",
    "admin": "tl_admin",
    "system": "tl_system",
    "officer": "tl_district_staff",
    "staff": "tl_staff",
    "api": "tl_api",
}


@dataclass(frozen=True)
class TimelineLine:
    """One line of a complaint's timeline in words: who did it and where (never a code or an id)."""

    at: datetime
    kind: str
    who: str
    where: str
    text: str
    event_id: int = 0  # for the forms that hide its text from the public
    item: str = ""  # a hiding's or showing's: "text" or "photo"


@dataclass(frozen=True)
class PublicMarks:
    """What of the complaint the public sees (models.public_hiding), for the staff page: the texts the public
    is shown (each may be hidden) and what is hidden, each with the timeline line of its hiding (who, when,
    why)."""

    texts: frozenset[int]  # events whose text the public sees unless hidden
    hidden_texts: dict[int, TimelineLine]
    hidden_photos: dict[int, TimelineLine]


def _public_marks(events: list[ComplaintEvent], lines: list[TimelineLine]) -> PublicMarks:
    hidden = replayed(sorted(events, key=lambda e: e.id))  # the log's order (the page's is by time)
    line_of = {e.id: line for e, line in zip(events, lines, strict=True)}
    marks: dict[str, dict[int, TimelineLine]] = {TEXT: {}, PHOTO: {}}
    for (what, item), event in hidden.by.items():
        marks[what][item] = line_of[event.id]
    texts = frozenset(e.id for e in events if has_public_text(e))
    return PublicMarks(texts, marks[TEXT], marks[PHOTO])


def timeline(s: Session, events: list[ComplaintEvent]) -> list[TimelineLine]:
    """The events as the complaint page shows them: districts by name in the page's language, and
    people by name: an officer on LINE by their name, a staff account on the web by its role and
    user name (older events, before the name was kept: the role alone)."""
    codes = {e.district_code for e in events} | {
        e.data.get(k) for e in events for k in ("to_district", "from_district") if e.data
    }
    known = [c for c in codes if isinstance(c, str)]
    names = {d.code: district_name(d) for d in s.scalars(select(District).where(District.code.in_(known)))}
    ids = {e.actor_id for e in events if e.actor_kind == "officer" and e.actor_id is not None}
    officers = {i: n for i, n in s.execute(select(Officer.id, Officer.name).where(Officer.id.in_(ids)))}

    def place(code: object) -> str:
        return names.get(str(code), "–") if code else text("centre")

    def who(e: ComplaintEvent) -> str:
        if e.actor_kind == "officer" and e.actor_id is not None:  # on LINE: the officer
            return officers.get(e.actor_id, text("tl_someone"))
        role = text(ACTORS.get(e.actor_kind, "tl_someone"))  # an officer without id: the web
        return f"{role} {e.actor_name}" if e.actor_name else role  # the staff account, where recorded

    def where(e: ComplaintEvent) -> str:
        if e.kind == "transferred":
            data = e.data or {}
            return text(
                "tl_from_to", source=place(data.get("from_district")), to=place(data.get("to_district"))
            )
        return "" if e.kind == "filed" else place(e.district_code)

    def item(e: ComplaintEvent) -> str:
        found = item_of(e) if e.kind in STAFF_EVENT_KINDS else None
        return found[0] if found else ""

    return [TimelineLine(e.at, e.kind, who(e), where(e), e.text or "", e.id, item(e)) for e in events]


@dataclass(frozen=True)
class Place:
    """Where the problem is: the district of the point (the one it was routed to when filed, by the
    point or the citizen's choice; a later transfer does not move the point) and a link to a map."""

    district: str
    map_url: str


MAP_URL = "https://www.google.com/maps/search/?api=1&query={lat:.6f},{lon:.6f}"


def _place(c: Complaint, events: list[ComplaintEvent], lines: list[TimelineLine]) -> Place | None:
    if c.latitude is None or c.longitude is None:
        return None
    filed_in = (
        line.where
        for e, line in zip(events, lines, strict=True)
        if e.kind == "routed" and (e.data or {}).get("how") in ("location", "citizen")
    )
    return Place(next(filed_in, ""), MAP_URL.format(lat=c.latitude, lon=c.longitude))


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
