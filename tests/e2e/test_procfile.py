"""The Procfile's three lines, run as an operator would, against a real LINE-like API (every backend)."""

from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bot.sandbox import events as ev
from tests.line_stub import LineStub

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
SECRET = "procfile-test-channel-secret"


def procfile() -> dict[str, str]:
    lines = (REPO / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_release_web_and_worker_lines_make_a_working_service(db_url, tmp_path):
    processes = procfile()
    assert set(processes) == {"release", "web", "worker"}
    stub = LineStub()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LINE_", "DATABASE_URL", "SECRET_KEY"))}
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        DATABASE_URL=db_url,
        LINE_CHANNEL_SECRET=SECRET,
        LINE_CHANNEL_ACCESS_TOKEN="procfile-token",
        LINE_API_BASE_URL=stub.url,
        SECRET_KEY="a-long-enough-secret-key-for-tests",
        PHOTO_DIR=str(tmp_path / "photos"),
        PORT=str(port),
        WEB_CONCURRENCY="2",
    )

    def run(name: str) -> subprocess.Popen[bytes]:
        log = open(tmp_path / f"{name}.log", "wb")  # noqa: SIM115 (closed with the process)
        return subprocess.Popen(
            shlex.split(processes[name]),
            cwd=tmp_path,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    for _ in range(2):  # release is safe to run twice
        release = run("release")
        assert release.wait(120) == 0, (tmp_path / "release.log").read_text()
    web, worker = run("web"), run("worker")
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                    assert response.status == 200
                    break
            except OSError:  # refused, reset or slow while gunicorn boots
                assert time.monotonic() < deadline, (tmp_path / "web.log").read_text()
                time.sleep(0.2)
        with pytest.raises(urllib.error.HTTPError) as info:  # sandbox is not mounted with a real channel
            urllib.request.urlopen(f"{base}/sandbox", timeout=5)
        assert info.value.code == 404

        user = ev.new_user_id()
        body = ev.webhook_body([ev.follow_event(user)])
        request = urllib.request.Request(
            f"{base}/callback", data=body.encode(), headers={"X-Line-Signature": ev.sign_body(SECRET, body)}
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 200
        deadline = time.monotonic() + 30
        while not stub.calls("/message/reply"):
            assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()
            time.sleep(0.1)
        reply = stub.calls("/message/reply")[0]
        assert reply.headers["Authorization"] == "Bearer procfile-token"
        assert "ยินดีต้อนรับ" in reply.body["messages"][0]["text"]
        assert stub.calls(f"/v2/bot/profile/{user}")
    finally:
        for proc in (web, worker):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in (web, worker):
            proc.wait(15)
        stub.stop()
    assert worker.returncode == 0  # SIGTERM stops the worker cleanly
