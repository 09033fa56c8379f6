"""Helpers the benchmarks explain their figures with: the CPU accounting (benchmarks/common.py
`cpu_use`), from which the API benchmark splits the server's CPU between the web workers, the
Celery worker and PostgreSQL, so it must put a process tree's work under that tree's name; and
the committed night's timeline (benchmarks/committed_night.py)."""

import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.committed_night import CommittedNight, timeline_lines
from benchmarks.common import cpu_use

# A parent that starts a child; each spins for 0.3 s of CPU, then both stay alive until the
# test closes their stdin: the child's work belongs to the parent's tree (as gunicorn's
# workers belong to its master).
_BUSY = """
import subprocess, sys, time
end = time.process_time() + 0.3
while time.process_time() < end:
    pass
if sys.argv[1] == "parent":
    child = subprocess.Popen([sys.executable, __file__, "child"], stdout=subprocess.PIPE)
    child.stdout.readline()
    print("done", flush=True)
else:
    print("spun", flush=True)
sys.stdin.read()
"""

pytestmark = pytest.mark.skipif(not Path("/proc/stat").exists(), reason="Linux /proc only")


def test_a_process_tree_work_is_counted_under_its_name(tmp_path):
    script = tmp_path / "busy.py"
    script.write_text(_BUSY)
    idle = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(5)"])  # noqa: S603
    try:
        process = subprocess.Popen(  # noqa: S603
            [sys.executable, str(script), "parent"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        # The tree is named by its root's pid before it does its work.
        with cpu_use({"busy": process.pid, "idle": idle.pid}) as use:
            assert process.stdout.readline() == "done\n"
        process.communicate(timeout=30)
    finally:
        idle.kill()
        idle.wait()
    assert process.returncode == 0
    assert 0.5 <= use.parts_s["busy"] <= 1.5  # the parent's 0.3 s and its child's
    assert use.parts_s["idle"] < 0.05
    assert set(use.parts_s) == {"busy", "idle", "database", "other"}


def test_a_night_timeline_lists_steps_as_they_started_and_each_connection_busy_time():
    night = CommittedNight(
        side_line=True,
        seconds=1.0,
        scan_seconds=0.5,
        steps={},
        wal_mib=0.0,
        timeline=[
            ("planning", False, 0.5, 0.4),
            ("demand", False, 0.0, 0.5),
            ("ageing", True, 0.6, 0.2),
            ("peak read", True, 0.1, 0.1),
        ],
    )
    lines = timeline_lines(night)
    assert [line.split()[:2] for line in lines[:4]] == [
        ["main", "demand"],
        ["side", "peak"],
        ["main", "planning"],
        ["side", "ageing"],
    ]
    assert "0.500 →  0.900 s" in lines[2]
    assert lines[4] == (
        "busy: main connection 0.900 s, second connection 0.300 s of the night's 1.000 s"
    )
