"""The admin's settings pages (issue 6, page 7): holidays, category → section, LINE officers, web users;
and each district's KPI start date (no monthly summary due before it: KPI step 3).

Admins only. Each change calls the same domain functions as the CLI (`bot/cli_admin.py`,
`bot/cli.py cmd_categories`, `bot/cli_users.py`): a calendar change recomputes every open
complaint's deadlines as `rongtook holidays` does. A refusal is raised as `Refused` inside the
transaction, so nothing of it is written, and is shown in words on the page (status 400).

Secrets made here (a generated password, a LINE link code) are shown once, in the response to the
POST that made them: never flashed, since the session cookie is signed but not encrypted.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

import holidays
from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from admin.kpi_pages import deployment_start
from admin.views import (
    BANGKOK,
    SignedIn,
    bp,
    district_name,
    lang,
    roles_required,
    services,
    text,
    typed_day,
)
from handlers.use_cases import recompute_deadlines
from models import CalendarOverride, Officer, OverrideKind
from models.categories import Category, CategoryError, all_categories, save_category
from models.clock import clock
from models.db import transaction
from models.districts import District, sorted_districts
from models.officer_links import ROLES as LINE_ROLES
from models.officer_links import OfficerLinkCode, add_officer, new_link_code, set_active
from models.rich_menus import menu_for_officer
from models.sections import DEFAULT_KEY, all_sections, remove_section, set_section
from models.staff import (
    DISTRICT_ROLES,
    MIN_PASSWORD,
    ROLES,
    USERNAME,
    StaffError,
    StaffUser,
    add_user,
    check_password,
    set_password,
)
from models.thai_dates import BE_OFFSET, date_in
from models.working_days import (
    DEFAULT_CALENDAR_SETTINGS,
    IN_LIEU_SUFFIX,
    add_override,
    load_calendar,
    remove_override,
)

MAX_CATEGORY = 100  # models.sections.CategorySection.category is String(100)
MAX_SECTION = 200
MAX_NAME = 200  # an officer's or a holiday's name
FIRST_YEAR, LAST_YEAR = 2000, 2200  # CE years the calendar pages accept (BE 2543–2743)
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read from a screen


class Refused(Exception):
    """A change the page will not make; `key` is the text shown, `values` fill its {placeholders}."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key, self.values = key, values

    def message(self) -> str:
        return text(self.key, **self.values)


def _once(body: str) -> ResponseReturnValue:
    """A page that carries a secret shown once: no browser or proxy keeps a copy."""
    return body, 200, {"Cache-Control": "no-store"}


def _field(name: str) -> str:
    return request.form.get(name, "").strip()


def _limited(value: str, limit: int) -> str:
    if len(value) > limit:
        raise Refused("set_too_long", n=limit)
    return value


def _district(s: Session, code: str) -> District:
    if not code:
        raise Refused("set_needs_district")
    district = s.get(District, code[:4]) if len(code) <= 4 else None
    if district is None:
        raise Refused("set_unknown_district")
    return district


def _district_choices(s: Session) -> dict[str, Any]:
    """The districts a form offers, and their names in the page's language."""
    districts = sorted_districts(s.scalars(select(District)), lang())
    return {"districts": districts, "names": {d.code: district_name(d) for d in districts}}


def _action(*allowed: str) -> str:
    action = request.form.get("action", "")
    if action not in allowed:
        raise Refused("set_bad_action")
    return action


# ---- one settings page ---------------------------------------------------------------------------

Params = Mapping[str, Any]  # what a page is shown for (the holidays' year, the officers' district)


@dataclass(frozen=True)
class Done:
    """A change made: `message` is flashed and `log` logged, then the browser goes back to the page.

    A change that made a secret (a password, a link code) names it in `shown`: the page then shows
    it once, in this response, instead of redirecting. `back` is the query of the page gone back to.
    """

    message: str
    log: str
    shown: Mapping[str, Any] | None = None
    back: Params = field(default_factory=dict)


@dataclass(frozen=True)
class SettingsPage:
    """/admin/settings/<name>, admins only, drawn by admin/settings_<name>.html.

    GET (endpoint `admin.settings_<name>`) shows it; POST (`admin.settings_<name>_change`) makes a
    change. A refusal, of either, shows the page again with the reason in words (status 400).
    """

    name: str
    load: Callable[..., Params]  # (session, **params) → the template's values
    change: Callable[[], Done]  # the POST's change, or Refused
    query: Callable[[], Params] = dict  # the params of a GET, read from its query, or Refused
    refused: Callable[[], Params] = dict  # the params a refusal is shown with

    def render(self, status: int = 200, params: Params | None = None, **context: Any) -> tuple[str, int]:
        with transaction(services().sessions) as s:
            values = self.load(s, **(params or {}))
        body = render_template(f"admin/settings_{self.name}.html", **values, form=request.form, **context)
        return body, status

    def show(self) -> ResponseReturnValue:
        try:
            params = self.query()
        except Refused as exc:
            return self.render(400, self.refused(), error=exc.message())
        return self.render(params=params)

    def post(self) -> ResponseReturnValue:
        try:
            done = self.change()
        except Refused as exc:
            return self.render(400, self.refused(), error=exc.message())
        current_app.logger.info("admin %s: %s %s", current_user.username, self.name, done.log)
        if done.shown is None:
            flash(done.message)
            return redirect(url_for(f"admin.settings_{self.name}", **done.back), 303)
        body, _ = self.render(done=done.message, **done.shown)
        return _once(body)

    def register(self) -> SettingsPage:
        """Both routes on the admin blueprint."""
        path, endpoint = f"/settings/{self.name}", f"settings_{self.name}"
        bp.get(path, endpoint=endpoint)(roles_required("admin")(self.show))
        bp.post(path, endpoint=f"{endpoint}_change")(roles_required("admin")(self.post))
        return self


# ---- holidays ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HolidayRow:
    day: date
    kind: str  # "public" (the package's calendar), "holiday" or "working" (an admin's declaration)
    name: str


def read_year(raw: str | None, today: date) -> int:
    """The CE year of `?year=`: BE as the page shows it (2570), CE also accepted; empty → this year."""
    if raw is None or not raw.strip():
        return today.year
    raw = raw.strip()
    if not raw.isdigit() or len(raw) != 4:
        raise Refused("set_bad_year")
    year = int(raw)
    year = year - BE_OFFSET if year > LAST_YEAR else year
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise Refused("set_bad_year")
    return year


def read_day(raw: str) -> date:
    """A day as the date field takes it (`admin.views.typed_day`): 4/1/2570 (BE), 4/1/2027, 2027-01-04."""
    try:
        day = typed_day(raw)
    except ValueError:
        raise Refused("bad_date", value=raw.strip()[:40]) from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise Refused("bad_date", value=raw.strip()[:40])
    return day


@lru_cache(maxsize=16)
def thai_names(year: int) -> Mapping[date, str]:
    """The package's holiday names in Thai, with the same holidays left out as the calendar leaves out.

    The calendar works with the English names (its ignore list matches them); the page shows Thai
    readers the Thai ones. Several holidays on one date come joined by "; " in the same order in both.
    """
    settings = DEFAULT_CALENDAR_SETTINGS
    english, thai = (
        holidays.country_holidays(settings.country, years=year, categories=settings.categories, language=lang)
        for lang in ("en_US", "th")
    )
    names: dict[date, str] = {}
    for day, joined in english.items():
        en_parts, th_parts = joined.split("; "), str(thai.get(day, "")).split("; ")
        if len(en_parts) != len(th_parts):
            continue  # the page falls back to the English name
        kept = [
            th
            for en, th in zip(en_parts, th_parts, strict=True)
            if en.removesuffix(IN_LIEU_SUFFIX) not in settings.ignored_package_holidays
        ]
        if kept:
            names[day] = "; ".join(kept)
    return names


def holiday_rows(s: Session, year: int, lang: str) -> list[HolidayRow]:
    """The year's days off and the admin's declarations, as `rongtook holidays list` prints them."""
    calendar = load_calendar(s, years=[year])
    declared = {
        row.day: row
        for row in s.scalars(
            select(CalendarOverride).where(CalendarOverride.day.between(date(year, 1, 1), date(year, 12, 31)))
        )
    }
    localised = thai_names(year) if lang == "th" else {}
    rows = []
    day = date(year, 1, 1)
    while day.year == year:
        name, mark = calendar.holiday_name(day), declared.get(day)
        if mark is not None:
            kind = "working" if mark.kind == OverrideKind.WORKING else "holiday"
            rows.append(HolidayRow(day, kind, mark.name))
        elif name:
            rows.append(HolidayRow(day, "public", localised.get(day, name)))
        day += timedelta(days=1)
    return rows


def _load_holidays(s: Session, year: int) -> Params:
    return {"rows": holiday_rows(s, year, g.lang), "year_be": year + BE_OFFSET}


def _today() -> date:
    return clock.now().astimezone(BANGKOK).date()


def _holidays_query() -> Params:
    return {"year": read_year(request.args.get("year"), _today())}


def _shown_year() -> Params:
    """After a refusal: the year of the day typed if it is a date, else the year the page showed."""
    for read in (
        lambda: read_day(request.form.get("day", "")).year,
        lambda: read_year(request.form.get("year"), _today()),
    ):
        try:
            return {"year": read()}
        except Refused:
            continue
    return {"year": _today().year}


def _change_holidays() -> Done:
    now = clock.now()
    action = _action("add", "working", "remove")
    day = read_day(request.form.get("day", ""))
    name = _limited(_field("name"), MAX_NAME)
    if action == "add" and not name:
        raise Refused("set_needs_holiday_name")
    with transaction(services().sessions) as s:
        if action == "remove":
            if not remove_override(s, day):
                raise Refused("set_nothing_to_remove", day=date_in(day, g.lang))
        else:
            add_override(s, day, "holiday" if action == "add" else "working", name, now)
        # As `rongtook holidays`: every open complaint's deadlines from the new calendar.
        changed = recompute_deadlines(s)
    done = {"add": "set_done_holiday", "working": "set_done_working", "remove": "set_done_remove"}[action]
    return Done(
        f"{text(done, day=date_in(day, g.lang))} · {text('set_deadlines_changed', n=changed)}",
        f"{action} {day} ({changed} deadlines changed)",
        back={"year": day.year + BE_OFFSET},
    )


HOLIDAYS_PAGE = SettingsPage(
    "holidays", _load_holidays, _change_holidays, query=_holidays_query, refused=_shown_year
).register()


# ---- category → section --------------------------------------------------------------------------


@dataclass(frozen=True)
class CategoryRow:
    category: str
    section: str
    own: bool  # a row of its own (False: it uses the default section)
    data: Category | None = None  # the category itself; None for a section row of a name not in the list


def category_rows(s: Session) -> tuple[str, list[CategoryRow]]:
    """The default section and every category: the known ones in the citizens' order, then the others."""
    table = {row.category: row.section for row in all_sections(s)}
    default = table.get(DEFAULT_KEY, "–")
    listed = all_categories(s)
    known = [c.name_th for c in listed]
    others = sorted(set(table) - set(known) - {DEFAULT_KEY})
    rows = [CategoryRow(c.name_th, table.get(c.name_th, default), c.name_th in table, c) for c in listed]
    rows += [CategoryRow(label, table[label], True) for label in others]
    return default, rows


def _load_categories(s: Session) -> Params:
    default, rows = category_rows(s)
    sections = sorted({row.section for row in all_sections(s)})
    return {"default": default, "rows": rows, "sections": sections, "default_key": DEFAULT_KEY}


def _save_category() -> Done:
    """Add a category or change one: names, group, keywords, order, on or off (LINE, the web and the
    Open311 API all read the table)."""
    code = _field("code").lower()
    keywords = [w for w in re.split(r"[,\n]", request.form.get("keywords", "")) if w.strip()]
    position = _field("position")
    if position and not (position.isdigit() and int(position) <= 100_000):
        raise Refused("cat_bad_position")
    with transaction(services().sessions) as s:
        new = s.get(Category, code) is None
        try:
            row = save_category(
                s,
                code,
                now=clock.now(),
                name_th=_field("name_th") if new else None,
                name_en=_field("name_en"),
                group_th=_limited(_field("group_th"), 100),
                group_en=_limited(_field("group_en"), 100),
                keywords=keywords,
                position=int(position) if position else None,
                active=request.form.get("active") == "on",
            )
        except CategoryError as exc:
            raise Refused(f"cat_{exc.reason}") from None
        message = text("cat_added" if new else "cat_saved", name=row.name_th, code=row.code)
    return Done(message, f"{'add' if new else 'save'} category {code}")


def _change_categories() -> Done:
    if request.form.get("action") == "save_category":
        return _save_category()
    action = _action("set", "remove")
    category = _field("category")
    if not category:
        raise Refused("set_needs_category")
    _limited(category, MAX_CATEGORY)
    with transaction(services().sessions) as s:
        if action == "set":
            section = _limited(_field("section"), MAX_SECTION)
            if not section:
                raise Refused("set_needs_section")
            row = set_section(s, category, section, clock.now())
            message = text("set_done_section", category=row.category, section=row.section)
        else:
            if category == DEFAULT_KEY:
                raise Refused("set_default_not_removable")
            removed = remove_section(s, category)
            message = text("set_done_section_removed" if removed else "set_no_own_section", category=category)
    return Done(message, f"{action} {category}")


CATEGORIES_PAGE = SettingsPage("categories", _load_categories, _change_categories).register()


# ---- officers on LINE ----------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedCode:
    """A link code just made, shown once."""

    code: str
    expires_at: datetime
    officer_name: str


def _issued(row: OfficerLinkCode, officer: Officer) -> IssuedCode:
    return IssuedCode(row.code, row.expires_at, officer.name)


def _load_officers(s: Session, district: str = "") -> Params:
    query = select(Officer).order_by(Officer.district_code, Officer.id)
    if district:
        query = query.where(Officer.district_code == district)
    officers = list(s.scalars(query))
    return {"officers": officers, **_district_choices(s), "district": district, "roles": LINE_ROLES}


def _officers_query() -> Params:
    district = request.args.get("district", "").strip()
    if district:
        with transaction(services().sessions) as s:
            _district(s, district)
    return {"district": district}


def _change_officers() -> Done:
    now = clock.now()
    action = _action("add", "code", "activate", "deactivate")
    issued: IssuedCode | None = None
    with transaction(services().sessions) as s:
        if action == "add":
            district = _district(s, _field("district"))
            name = _limited(_field("name"), MAX_NAME)
            if not name:
                raise Refused("set_needs_name")
            role = request.form.get("role", "")
            if role not in LINE_ROLES:
                raise Refused("set_bad_role")
            officer = add_officer(s, district.code, name, role, now)
            issued = _issued(new_link_code(s, officer, now), officer)
            message = text("set_done_officer", name=officer.name)
        else:
            officer = _officer(s, request.form.get("officer_id", ""))
            if action == "code":
                # Earlier unused codes of this officer stop working (new_link_code).
                issued = _issued(new_link_code(s, officer, now), officer)
                message = text("set_done_code", name=officer.name)
            else:
                set_active(s, officer.id, action == "activate")
                menu_for_officer(s, officer, now)  # the LINE menu follows (made by the worker)
                key = "set_done_officer_on" if action == "activate" else "set_done_officer_off"
                message = text(key, name=officer.name)
    return Done(message, f"{action} {officer.id}", None if issued is None else {"issued": issued})


def _officer(s: Session, raw: str) -> Officer:
    officer = s.get(Officer, int(raw)) if raw.isdigit() and len(raw) < 10 else None
    if officer is None:
        raise Refused("set_unknown_officer")
    return officer


OFFICERS_PAGE = SettingsPage("officers", _load_officers, _change_officers, query=_officers_query).register()


# ---- web accounts --------------------------------------------------------------------------------


def generated_password() -> str:
    """A random password to read off a screen: 4 groups of 5 (about 99 bits), longer than MIN_PASSWORD."""
    rng = secrets.SystemRandom()
    return "-".join("".join(rng.choice(PASSWORD_ALPHABET) for _ in range(5)) for _ in range(4))


def _password(raw: str) -> tuple[str, bool]:
    """The typed password checked by the staff rules, or a generated one (True: show it once)."""
    if not raw:
        return generated_password(), True
    try:
        check_password(raw)
    except StaffError:
        if len(raw) < MIN_PASSWORD:
            raise Refused("set_short_password", n=MIN_PASSWORD) from None
        raise Refused("set_password_spaces") from None
    return raw, False


def _new_user_fields(s: Session) -> tuple[str, str, str | None]:
    """Username, role and district as `models.staff.add_user` wants them, refused in the page's words."""
    username = _field("username").lower()
    if not USERNAME.match(username):
        raise Refused("set_bad_username")
    role = request.form.get("role", "")
    if role not in ROLES:
        raise Refused("set_bad_role")
    code = _field("district")
    if role in DISTRICT_ROLES:
        if not code:
            raise Refused("set_district_needed")
        district: str | None = _district(s, code).code
    elif code:
        raise Refused("set_district_not_allowed")
    else:
        district = None
    if s.scalar(select(StaffUser.id).where(StaffUser.username == username)) is not None:
        raise Refused("set_username_taken", username=username)
    return username, role, district


@dataclass(frozen=True)
class IssuedPassword:
    username: str
    password: str


def _load_users(s: Session) -> Params:
    users = list(s.scalars(select(StaffUser).order_by(StaffUser.username)))
    return {
        "users": users,
        **_district_choices(s),
        "roles": ROLES,
        "district_roles": DISTRICT_ROLES,
        "min_password": MIN_PASSWORD,
    }


def _change_users() -> Done:
    now = clock.now()
    action = _action("add", "password", "activate", "deactivate")
    password: IssuedPassword | None = None
    code: IssuedCode | None = None
    myself: StaffUser | None = None
    with transaction(services().sessions) as s:
        if action == "add":
            username, role, district = _new_user_fields(s)
            typed, generated = _password(request.form.get("password", ""))
            display = _limited(_field("display_name"), MAX_NAME) or username
            try:
                user = add_user(s, username, typed, role, district, now)
            except StaffError as exc:  # a rule of models.staff this page did not foresee
                raise Refused("set_refused_because", reason=str(exc)) from None
            if district is not None and request.form.get("line"):
                # The issue: admins make the web account and the LINE officer in one go.
                officer = add_officer(s, district, display, role, now)
                code = _issued(new_link_code(s, officer, now), officer)
            message = text("set_done_user", username=user.username)
        else:
            user = _user(s, request.form.get("user_id", ""))
            if action == "password":
                typed, generated = _password(request.form.get("password", ""))
                set_password(s, user, typed)  # bumps session_version: every session ends
                message = text("set_done_password", username=user.username)
                if user.id == current_user.id:
                    s.expunge(user)
                    myself = user
            elif action == "deactivate":
                if user.id == current_user.id:
                    raise Refused("set_not_yourself")
                user.active = False
                user.session_version += 1  # as the model says: switched off ends every session
                message = text("set_done_user_off", username=user.username)
            else:
                user.active = True
                message = text("set_done_user_on", username=user.username)
        if action in ("add", "password") and generated:
            password = IssuedPassword(user.username, typed)
    if myself is not None:
        login_user(SignedIn(myself))  # the admin who changed their own password stays signed in here
    shown = None if password is None and code is None else {"issued": code, "password": password}
    return Done(message, f"{action} {user.username}", shown)


def _user(s: Session, raw: str) -> StaffUser:
    user = s.get(StaffUser, int(raw)) if raw.isdigit() and len(raw) < 10 else None
    if user is None:
        raise Refused("set_unknown_user")
    return user


USERS_PAGE = SettingsPage("users", _load_users, _change_users).register()


# ---- KPI start dates -----------------------------------------------------------------------------


@dataclass(frozen=True)
class StartRow:
    """A district's KPI start date: its own (None: none), and the one step 3 is scored with."""

    district: District
    own: date | None
    used: date | None  # its own, else the deployment's KPI_START_DATE (None: every month counts)


def _load_kpi_start(s: Session) -> Params:
    default = deployment_start()
    choices = _district_choices(s)
    rows = [StartRow(d, d.kpi_start_on, d.kpi_start_on or default) for d in choices["districts"]]
    return {**choices, "rows": rows, "default": default}


def _change_kpi_start() -> Done:
    """Set a district's own start date ("set"), or let it use the deployment's again ("clear")."""
    action = _action("set", "clear")
    with transaction(services().sessions) as s:
        district = _district(s, _field("district"))
        name = district_name(district)
        if action == "set":
            day = read_day(request.form.get("day", ""))
            district.kpi_start_on = day
            message = text("set_done_kpi_start", district=name, day=date_in(day, g.lang))
        else:
            if district.kpi_start_on is None:
                raise Refused("set_kpi_start_nothing_to_clear", district=name)
            district.kpi_start_on = None
            message = text("set_done_kpi_start_cleared", district=name)
        log = f"{action} {district.code} {district.kpi_start_on or ''}".rstrip()
    return Done(message, log)


KPI_START_PAGE = SettingsPage("kpi_start", _load_kpi_start, _change_kpi_start).register()
