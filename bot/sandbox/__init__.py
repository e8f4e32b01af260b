"""The LINE stand-in: a fake Messaging API and a chat page. Mounted only in sandbox mode."""

from __future__ import annotations

from flask import Flask


def register_sandbox(app: Flask) -> None:
    from bot.sandbox.chat import bp as chat_bp
    from bot.sandbox.fake_line import bp as fake_line_bp

    app.register_blueprint(fake_line_bp)
    app.register_blueprint(chat_bp)
