"""A local stand-in for LINE's Messaging API, for `make bench-worker`: it answers as LINE's spec says.

Run as `python -m bench.line_standin --port P --delay-ms 150`. Every call waits `--delay-ms` before it
is answered (LINE's own API is 100-200 ms away from Bangkok), on as many connections as the client
opens. What it holds to, as LINE does:

- a reply token is good once and for a minute: a second use, a stale or unknown token → 400
  "Invalid reply token" (the bench's tokens carry the time they were issued in their first 13 hex digits);
- a push with an `X-Line-Retry-Key` already accepted → 409 with `x-line-accepted-request-id`;
- 1 to 5 messages per reply or push, each with a type, or 400;
- loading animation → 202, profile → 200 JSON, message content → 200 JPEG; anything else → 404.

`GET /__standin/calls` returns every call so far (arrival time on the machine's monotonic clock,
path, status, token or recipient, retry key, messages); `POST /__standin/reset` forgets them and the
tokens and keys seen; `POST /__standin/delay?ms=N` changes the delay.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from models.clock import clock

REPLY_TOKEN_LIFETIME_MS = 60_000
MAX_MESSAGES = 5
TOKEN = re.compile(r"[0-9a-f]{32}")
PROFILE = re.compile(r"/v2/bot/profile/(U[0-9a-f]{32})")
CONTENT = re.compile(r"/v2/bot/message/([0-9A-Za-z]{1,64})/content")


def reply_token(issued_ms: int | None = None) -> str:
    """A token the stand-in accepts once within a minute of `issued_ms` (now by default)."""
    ms = int(clock.now().timestamp() * 1000) if issued_ms is None else issued_ms
    return f"{ms:013x}{secrets.token_hex(10)[:19]}"


def _photo() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (90, 120, 160)).save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


class State:
    def __init__(self, delay_s: float) -> None:
        self.lock = threading.Lock()
        self.delay_s = delay_s
        self.photo = _photo()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.calls: list[dict[str, Any]] = []
            self.used_tokens: set[str] = set()
            self.accepted_keys: dict[str, str] = {}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # kept-alive connections, as the SDK's pool expects
    state: State

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass  # a line per call would cost more than the call

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._serve("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._serve("POST")

    def _serve(self, method: str) -> None:
        arrived = time.monotonic()
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        path = urlsplit(self.path).path
        if path.startswith("/__standin/"):
            self._control(path, raw)
            return
        time.sleep(self.state.delay_s)
        status, body, headers, record = self._answer(method, path, raw)
        record.update(t=arrived, path=path, status=status)
        with self.state.lock:
            self.state.calls.append(record)
        self._send(status, body, headers)

    def _answer(
        self, method: str, path: str, raw: bytes
    ) -> tuple[int, bytes, dict[str, str], dict[str, Any]]:
        if method == "POST" and path in ("/v2/bot/message/reply", "/v2/bot/message/push"):
            return self._message(path, raw)
        if method == "POST" and path == "/v2/bot/chat/loading/start":
            return 202, b"{}", {}, {"chat": _json(raw).get("chatId")}
        if method == "GET" and (match := PROFILE.fullmatch(path)):
            profile = {"userId": match.group(1), "displayName": "ผู้ทดสอบ", "language": "th"}
            return 200, json.dumps(profile, ensure_ascii=False).encode(), {}, {}
        if method == "GET" and CONTENT.fullmatch(path):
            return 200, self.state.photo, {"Content-Type": "image/jpeg"}, {}
        return 404, _error("Not found"), {}, {}

    def _message(self, path: str, raw: bytes) -> tuple[int, bytes, dict[str, str], dict[str, Any]]:
        body = _json(raw)
        messages = body.get("messages")
        record: dict[str, Any] = {"messages": messages}
        if not isinstance(messages, list) or not 1 <= len(messages) <= MAX_MESSAGES:
            return 400, _error("The request body has 1 error(s)"), {}, record
        if not all(isinstance(m, dict) and isinstance(m.get("type"), str) for m in messages):
            return 400, _error("The request body has 1 error(s)"), {}, record
        request_id = secrets.token_hex(16)
        sent = json.dumps({"sentMessages": [{"id": secrets.token_hex(9)} for _ in messages]}).encode()
        if path.endswith("/reply"):
            token = body.get("replyToken")
            record["token"] = token
            if not isinstance(token, str) or not self._take_token(token):
                return 400, _error("Invalid reply token"), {}, record
            return 200, sent, {"x-line-request-id": request_id}, record
        record["to"] = body.get("to")
        key = self.headers.get("X-Line-Retry-Key")
        record["retry_key"] = key
        if key:
            with self.state.lock:
                accepted = self.state.accepted_keys.get(key)
                if accepted is None:
                    self.state.accepted_keys[key] = request_id
            if accepted is not None:
                headers = {"x-line-accepted-request-id": accepted}
                return 409, _error("The retry key is already accepted"), headers, record
        return 200, sent, {"x-line-request-id": request_id}, record

    def _take_token(self, token: str) -> bool:
        if not TOKEN.fullmatch(token):
            return False
        age_ms = int(clock.now().timestamp() * 1000) - int(token[:13], 16)
        with self.state.lock:
            if token in self.state.used_tokens or not 0 <= age_ms <= REPLY_TOKEN_LIFETIME_MS:
                return False
            self.state.used_tokens.add(token)
        return True

    def _control(self, path: str, raw: bytes) -> None:
        if path == "/__standin/calls":
            with self.state.lock:
                body = json.dumps(self.state.calls, ensure_ascii=False).encode()
            self._send(200, body, {})
        elif path == "/__standin/reset":
            self.state.reset()
            self._send(200, b"{}", {})
        elif path == "/__standin/delay":
            ms = parse_qs(urlsplit(self.path).query).get("ms", ["150"])[0]
            self.state.delay_s = float(ms) / 1000
            self._send(200, b"{}", {})
        else:
            self._send(404, _error("Not found"), {})

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        headers = {"Content-Type": "application/json", **headers}
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _json(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _error(message: str) -> bytes:
    return json.dumps({"message": message}).encode()


class StandinServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # the listen backlog: a burst of new connections is not refused


def serve(port: int, delay_ms: float, host: str = "127.0.0.1") -> StandinServer:
    handler = type("StandinHandler", (Handler,), {"state": State(delay_ms / 1000)})
    return StandinServer((host, port), handler)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--delay-ms", type=float, default=150.0)
    args = parser.parse_args()
    server = serve(args.port, args.delay_ms)
    print(f"LINE stand-in on 127.0.0.1:{args.port}, {args.delay_ms:.0f} ms a call", flush=True)
    server.serve_forever(poll_interval=0.2)


if __name__ == "__main__":
    main()
