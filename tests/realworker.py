"""A real Celery worker process and a real SMTP server, for the fault tests.

`CeleryWorker` runs `celery -A config worker` as a subprocess against the test database and the
test Redis; it can be SIGKILLed and started again. `SmtpSink` is an aiosmtpd server on loopback
whose answers to RCPT the test scripts: accept, 451, 550, hang past the client's timeout, or
block until the test releases it (to kill a worker in the middle of a send).
"""

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.db import connection

# Generous for a loaded 2-core CI machine; every wait in these tests is bounded by one of these.
STARTUP_TIMEOUT = 25
EVENT_TIMEOUT = 20


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout: float = EVENT_TIMEOUT, interval: float = 0.05) -> bool:
    """Poll `predicate` until it is true or `timeout` seconds pass; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)


def database_url() -> str:
    """The URL of the database the tests run on (pytest-django's test database)."""
    s = connection.settings_dict
    auth = s["USER"] or ""
    if s["PASSWORD"]:
        auth += f":{s['PASSWORD']}"
    host = f"{auth}@" if auth else ""
    return f"postgres://{host}{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def flush_broker() -> None:
    """Empty the test Redis database: no task left over from another test or run."""
    import redis

    redis.Redis.from_url(settings.REDIS_URL).flushdb()


def queue_length(queue: str = "celery") -> int:
    """Messages waiting in the broker queue, not yet taken by a worker."""
    import redis

    return redis.Redis.from_url(settings.REDIS_URL).llen(queue)


class CeleryWorker:
    """`celery -A config worker --pool solo` on the test database and the test Redis."""

    def __init__(self, *, smtp_port: int, name: str = "w", extra_env: dict | None = None):
        self.name = f"{name}-{uuid.uuid4().hex[:6]}"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.worker_settings",
            "DATABASE_URL": database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
            "EMAIL_TIMEOUT": "3",
            "SITE_URL": "http://testserver.example",
            # Fast enough for a test: retries after 0.1 s, 0.2 s, 0.4 s … (with jitter); a task
            # of a killed worker comes back after 3 s.
            "EMAIL_RETRY_BASE_SECONDS": "0.1",
            "CELERY_VISIBILITY_TIMEOUT": "3",
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
            **(extra_env or {}),
        }
        for name in ("CELERY_TASK_ALWAYS_EAGER", "DJANGO_ALLOW_ASYNC_UNSAFE"):
            self.env.pop(name, None)
        self.log_path = Path(tempfile.mkstemp(prefix=f"celery-{self.name}-", suffix=".log")[1])
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool",
                "solo",
                "--concurrency",
                "1",
                "-Q",
                "celery",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"{self.name}-{self.starts}@%h",
                "--loglevel",
                "INFO",
            ],
            cwd=settings.BASE_DIR,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: a kill takes every child with it
        )
        log.close()
        marker = f"{self.name}-{self.starts}@"
        ready = wait_for(
            lambda: (
                self.process.poll() is not None
                or any(marker in line and " ready." in line for line in self.lines())
            ),
            timeout=STARTUP_TIMEOUT,
            interval=0.1,
        )
        if not ready or self.process.poll() is not None:
            self.stop()
            raise RuntimeError(f"the Celery worker did not start:\n{self.log_tail()}")

    def lines(self) -> list[str]:
        try:
            return self.log_path.read_text(errors="replace").splitlines()
        except FileNotFoundError:
            return []

    def log_tail(self, n: int = 60) -> str:
        return "\n".join(self.lines()[-n:])

    _TASK_EVENT = re.compile(r"Task [\w.]+\[([0-9a-f-]+)\] (\w+)")

    def in_flight(self) -> set[str]:
        """Ids of the tasks received and not finished yet (running, or waiting for their ETA)."""
        state = {}
        for line in self.lines():
            if match := self._TASK_EVENT.search(line):
                state[match[1]] = match[2]
        return {task for task, event in state.items() if event == "received"}

    def wait_idle(self, timeout: float = 15) -> bool:
        """Wait until no task is in flight (twice in a row, 0.2 s apart)."""
        quiet = [0]

        def idle():
            quiet[0] = quiet[0] + 1 if not self.in_flight() else 0
            return quiet[0] >= 2

        return not self.alive or wait_for(idle, timeout=timeout, interval=0.2)

    def wait_settled(self, timeout: float = 15) -> bool:
        """Wait until the worker has taken every queued task and finished it: a baseline of its
        log counted after this includes what was enqueued before (a task the broker still held
        would be logged "received" later and counted as new)."""
        return wait_for(lambda: queue_length() == 0, timeout=timeout) and self.wait_idle(timeout)

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL the whole worker (a crash, an OOM kill): nothing is acknowledged or cleaned."""
        if self.alive:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        """Warm shutdown (SIGTERM), then SIGKILL if it does not stop in time."""
        if not self.alive:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()

    def close(self, *, kill: bool = False) -> None:
        self.kill() if kill else self.stop()
        self.log_path.unlink(missing_ok=True)


class ScriptedHandler:
    """aiosmtpd handler: the n-th RCPT gets `script[n]` (default "ok"); DATA is recorded."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.script: list[str] = []
        self.messages = []
        self.rcpt_times: list[float] = []
        self.rcpt_seen = threading.Event()
        self.release = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.rcpt_times.append(time.monotonic())
        self.rcpt_seen.set()
        action = self.script.pop(0) if self.script else "ok"
        if action == "block":  # until the test says so (it kills the client meanwhile)
            while not self.release.is_set():
                await asyncio.sleep(0.02)
            return "451 4.3.0 Released"
        if action == "hang":  # longer than the client's EMAIL_TIMEOUT
            await asyncio.sleep(5)
            return "451 4.3.0 Too late"
        if action == "451":
            return "451 4.3.0 Mailbox busy, try again later"
        if action == "550":
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 Message accepted for delivery"


class SmtpSink:
    """A real SMTP server on a free loopback port."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.handler = ScriptedHandler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.handler.release.set()
        self.controller.stop()
