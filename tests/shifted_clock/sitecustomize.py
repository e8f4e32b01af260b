"""Loaded by every Python process of a shifted-clock test run (`make test-shifted`), via PYTHONPATH.

libfaketime moves the wall clock and, with FAKETIME_DONT_FAKE_MONOTONIC=1, leaves the monotonic one
alone, which threads' timed waits need. But libfaketime 0.9.10 (Debian 12) mangles the absolute
monotonic deadline of clock_nanosleep, which Python 3.11's time.sleep uses, and every sleep fails
with EINVAL (libfaketime issue #426). Here time.sleep waits in select() instead, which is relative.
"""

import os
import select
import time

if os.environ.get("FAKETIME_DONT_FAKE_MONOTONIC") == "1" and "faketime" in os.environ.get("LD_PRELOAD", ""):

    def _sleep(seconds: float) -> None:
        if seconds < 0:
            raise ValueError("sleep length must be non-negative")
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            select.select([], [], [], left)

    time.sleep = _sleep
