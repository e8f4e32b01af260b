"""Start and stop a Prism mock server (Stoplight Prism 5.x) for the contract tests.

Registered as a plugin in `tests/conftest.py`: its `prism` and `gateway` fixtures (a LineGateway
talking to the mock) serve every contract test module.

Prism is a Node program installed outside the repository (`make prism`); `PRISM_BIN` names it.
It is started in its own process group so that stopping it also stops any child Node processes.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.line_gateway import LineGateway
from tests.conftest import require_or_skip

DEFAULT_PRISM_BIN = Path.home() / ".cache" / "rongtook-prism" / "node_modules" / ".bin" / "prism"
STARTUP_TIMEOUT = 30.0  # seconds
SPEC_DIR = Path(
    os.environ.get("LINE_OPENAPI_DIR") or Path(__file__).resolve().parents[2] / "shared" / "line-openapi"
)
SPEC = SPEC_DIR / "messaging-api.yml"


def prism_bin() -> Path:
    return Path(os.environ.get("PRISM_BIN") or DEFAULT_PRISM_BIN).expanduser()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PrismServer:
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    command: list[str]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text("utf-8", "replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)


def start_prism(spec: Path, log_path: Path, timeout: float = STARTUP_TIMEOUT) -> PrismServer:
    """`prism mock --errors` on a free port; returns once the port accepts connections.

    `--errors` makes a request that breaks the spec get an error answer (400/401/422 with an
    `sl-violations` header) instead of a best-effort mock answer.
    Raises RuntimeError (with Prism's log) if Prism exits or does not listen within `timeout`.
    """
    port = free_port()
    command = [str(prism_bin()), "mock", "--errors", "-h", "127.0.0.1", "-p", str(port), str(spec)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = PrismServer(process, port, log_path, command)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Prism exited with {process.returncode}:\n{server.log_tail()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return server
        except OSError:
            time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"Prism did not listen on port {port} within {timeout:.0f} s:\n{server.log_tail()}")


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def prism(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrismServer]:
    if not prism_bin().is_file():
        require_or_skip(f"Prism not installed at {prism_bin()} (run `make prism` or set PRISM_BIN)")
    if not SPEC.is_file():
        require_or_skip(f"LINE OpenAPI spec not found at {SPEC} (set LINE_OPENAPI_DIR)")
    server = start_prism(SPEC, tmp_path_factory.mktemp("prism") / "prism.log")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def gateway(prism: PrismServer) -> Iterator[LineGateway]:
    gw = LineGateway(access_token="test-token", base_url=prism.base_url, check_messages=True)
    yield gw
    gw.close()
