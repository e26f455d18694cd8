"""A real redis-server of a test's own: a free loopback port, its own data folder, an optional password, the
append-only file on or off. Used by the distributed tests, the Redis-password held case and the settings
tests; skipped where redis-server is missing, except under CI, which installs it (.ci/run)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.conftest import free_port

START_TIMEOUT = 20  # seconds for a server to answer PING


def redis_binary() -> str:
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("redis-server is not installed (CI installs it in .ci/run: apt-get install redis-server)")
        pytest.skip("redis-server is not installed: apt-get install redis-server (make redis-server)")
    return binary


class RedisServer:
    """``start()`` runs it (again on the same port and folder after a kill); ``kill()`` SIGKILLs it. With
    ``append_only`` every acknowledged write survives a SIGKILL and a restart on the same folder."""

    def __init__(self, data: Path, password: str = "", append_only: bool = False):
        self.data, self.password, self.append_only = data, password, append_only
        self.data.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        auth = f":{quote(self.password, safe='')}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.base}/0"

    def client(self):
        import redis

        return redis.Redis.from_url(self.url, socket_timeout=5)

    def start(self) -> "RedisServer":
        import redis

        args = [redis_binary(), "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.data),
                "--save", ""]
        args += ["--appendonly", "yes", "--appendfsync", "always"] if self.append_only else ["--appendonly", "no"]
        if self.password:
            args += ["--requirepass", self.password]
        with open(self.data / "redis.log", "ab") as log:
            self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                self.client().ping()
                return self
            except redis.exceptions.ConnectionError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.kill()
                    raise RuntimeError(f"redis-server did not start: {(self.data / 'redis.log').read_text()[-2000:]}")
                time.sleep(0.1)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)  # a stopped process dies of SIGKILL too, but be plain
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None
