"""The floor for the webhook benchmark: Flask + gunicorn doing only what every LINE webhook must do.

It verifies the X-Line-Signature with the SDK and answers 200, nothing else: no database, no parsing.
`python -m bench.floor_app` serves it with gunicorn configured like `rongtook web` (same worker class,
workers from WEB_CONCURRENCY, threads from WEB_THREADS, timeout, access log), but on 127.0.0.1:$PORT.
`gunicorn bench.floor_app:app` works too.
"""

from __future__ import annotations

import os

from flask import Flask, Response, request
from linebot.v3.webhook import SignatureValidator

from bot.settings import SANDBOX_SECRET
from bot.web_server import GunicornServer

SECRET = os.environ.get("FLOOR_CHANNEL_SECRET", "") or SANDBOX_SECRET

app = Flask(__name__)


@app.post("/callback")
def callback() -> Response | tuple[str, int]:
    signature = request.headers.get("X-Line-Signature", "")
    try:
        body = request.get_data().decode("utf-8")
    except UnicodeDecodeError:
        return "bad body", 400
    if not signature or not SignatureValidator(SECRET).validate(body, signature):
        return "bad signature", 400
    return Response("OK", status=200, mimetype="text/plain")


@app.get("/healthz")
def healthz() -> tuple[str, int]:
    return "ok", 200


def main() -> None:
    # Served exactly as `rongtook web` serves the app (same gunicorn settings), on loopback only.
    GunicornServer(lambda: app, bind=f"127.0.0.1:{os.environ.get('PORT', '8001')}").run()


if __name__ == "__main__":
    main()
