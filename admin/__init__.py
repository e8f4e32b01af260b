"""The staff web under /admin/: sign-in, the dashboard and the complaints (issue 6).

`init_admin(app)` registers the blueprint, Flask-Login (sessions that expire, tied to the account's
`session_version`) and Flask-WTF's CSRF check, which guards every POST of this blueprint only (the
LINE webhook and the sandbox are not forms). Every page asks `models.staff.StaffUser.may_see` before
it shows a complaint, a photo or a count: a district user never reads another district's records.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from admin import (  # noqa: F401 - they register their routes on the blueprint
    actions,
    answer_template_pages,
    api_keys_page,
    audit_pages,
    dashboard,
    exports,
    group_pages,
    intake_pages,
    kpi_pages,
    privacy_pages,
    report_pages,
    settings_pages,
)
from admin.views import bp, load_user, unauthorised

SESSION_LIFETIME = timedelta(hours=8)  # a working day; then sign in again


def init_admin(app: Flask, secure_cookies: bool) -> None:
    app.config.update(
        WTF_CSRF_CHECK_DEFAULT=False,  # checked by the blueprint itself (admin.views.before)
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        PERMANENT_SESSION_LIFETIME=SESSION_LIFETIME,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure_cookies,
        REMEMBER_COOKIE_DURATION=SESSION_LIFETIME,
    )
    csrf = CSRFProtect(app)
    app.extensions["rongtook_csrf"] = csrf
    manager = LoginManager(app)
    manager.session_protection = "strong"
    manager.login_view = "admin.login"
    manager.user_loader(load_user)
    manager.unauthorized_handler(unauthorised)
    app.register_blueprint(bp)
