"""The benchmarks' CPU accounting (benchmarks/common.py `cpu_use`): the API benchmark splits the
server's CPU between the web workers, the Celery worker and PostgreSQL from it, so it must put
a process tree's work under that tree's name, not elsewhere."""

import subprocess
import sys
from pathlib import Path

import pytest

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
