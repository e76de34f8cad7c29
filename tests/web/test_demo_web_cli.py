"""`yushi demo --web` as a newcomer runs it: it prints the page's address, the page answers
with the demo's people, and Ctrl-C stops everything cleanly."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_demo_web_serves_the_page_until_ctrl_c(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "demo", "--web", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 60
        line = ""
        while "Chat with the bot" not in line and time.monotonic() < deadline:
            line = proc.stdout.readline()
            assert line or proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        found = re.search(r"open (http://127\.0\.0\.1:\d+) ", line)
        assert found is not None and found.group(1) == f"http://127.0.0.1:{port}", line
        session = httpx.get(f"{found.group(1)}/api/session", timeout=10).json()
        assert [user["role"] for user in session["users"]] == ["居民", "委员", "管理员"]
        assert (tmp_path / "data" / "demo.sqlite3").exists()
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert out.rstrip().endswith("stopped") and "Traceback" not in err
