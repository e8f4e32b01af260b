"""A scripted stand-in for LINE's Messaging API, for tests of retries and failures.

Each path answers from a script of statuses (the last one repeats); every request is
recorded with its headers and body so tests can check retry keys and what was sent.
"""

from __future__ import annotations

import io
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from PIL import Image
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response


def tiny_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    started: float = 0.0  # time.monotonic() when the request arrived and when it was answered
    ended: float = 0.0


@dataclass
class LineStub:
    scripts: dict[str, list[int]] = field(default_factory=dict)
    delay_s: dict[str, float] = field(default_factory=dict)
    bodies: dict[str, str] = field(default_factory=dict)  # a 2xx body to answer instead, by path part
    errors: dict[str, str] = field(default_factory=dict)  # an error's message instead, by path part
    requests: list[Recorded] = field(default_factory=list)
    content: bytes = field(default_factory=lambda: tiny_png())  # what message content downloads return

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0  # the most requests the stub was answering at one moment
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(5)

    def calls(self, path_part: str) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if path_part in r.path]

    def _status_for(self, path: str) -> int:
        for key, script in self.scripts.items():
            if key in path:
                count = sum(1 for r in self.requests if key in r.path)  # includes this request
                return script[min(count, len(script)) - 1]
        return 200

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        raw = request.get_data()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw
        recorded = Recorded(request.method, request.path, dict(request.headers), body, time.monotonic())
        with self._lock:
            self.requests.append(recorded)
            status = self._status_for(request.path)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        for key, seconds in self.delay_s.items():
            if key in request.path:
                time.sleep(seconds)
        with self._lock:
            self.in_flight -= 1
            recorded.ended = time.monotonic()
        if status >= 400:
            message = "Invalid reply token" if status == 400 and "reply" in request.path else "stub error"
            message = next((m for key, m in self.errors.items() if key in request.path), message)
            response = Response(json.dumps({"message": message}), status=status, mimetype="application/json")
        elif any(key in request.path for key in self.bodies):
            body = next(b for key, b in self.bodies.items() if key in request.path)
            response = Response(body, status=200, mimetype="application/json")
        elif "/content" in request.path:
            response = Response(self.content, status=200, mimetype="image/png")
        elif "/profile/" in request.path:
            response = Response(
                json.dumps({"userId": "U1", "displayName": "สมชาย", "language": "th"}),
                mimetype="application/json",
            )
        else:
            response = Response(
                json.dumps({"sentMessages": [{"id": "1", "quoteToken": "q"}]}), mimetype="application/json"
            )
        return response(environ, start_response)
