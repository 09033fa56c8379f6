"""What every benchmark shares: the figure row, the machine, a sandbox warehouse, a real
gunicorn on loopback, a tiny HTTP client and percentiles.

Import this module before Django is set up: it picks the benchmark settings.
"""

import contextlib
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")

BENCH_WAREHOUSE = "BENCH"
BENCH_PASSWORD = "bench-only-password-1"  # noqa: S105 - a throwaway user of the sandbox


@dataclass
class Figure:
    """One row of the `make bench` table."""

    name: str
    ours: float
    baseline: float
    unit: str
    target: str
    passed: bool
    # How to read the ratio, e.g. "ours / scan" or "baseline / ours".
    ratio_note: str = "ours / baseline"
    details: dict = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return self.ours / self.baseline if self.baseline else float("nan")


def emit(figures: list[Figure], json_out: str | None) -> None:
    """Print the figures; with --json-out also write them for the harness."""
    for f in figures:
        print(
            f"{f.name}: ours {f.ours:,.3f} {f.unit}, baseline {f.baseline:,.3f}, "
            f"ratio {f.ratio:.2f} ({f.ratio_note}), target {f.target}: "
            f"{'PASS' if f.passed else 'FAIL'}"
        )
    if json_out:
        Path(json_out).write_text(
            json.dumps([{**asdict(f), "ratio": f.ratio} for f in figures], indent=1)
        )


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (p95 of 200 samples is the 190th smallest)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * pct // 100))
    return ordered[int(rank) - 1]


def machine() -> dict:
    """CPU, cores, memory, load, Python and PostgreSQL: what a reader needs to compare."""
    cpu = platform.processor() or ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_gib = None
    with contextlib.suppress(OSError, ValueError, IndexError):
        meminfo = Path("/proc/meminfo").read_text().splitlines()[0]
        mem_gib = round(int(meminfo.split()[1]) / 2**20, 1)
    info = {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": mem_gib,
        "load_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "os": platform.platform(),
    }
    from django.db import connection

    info["database"] = connection.vendor
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            info["postgresql"] = cursor.fetchone()[0]
            settings = {}
            for name in (
                "shared_buffers",
                "work_mem",
                "max_parallel_workers_per_gather",
                "effective_cache_size",
            ):
                cursor.execute(f"SHOW {name}")
                settings[name] = cursor.fetchone()[0]
            info["postgresql_settings"] = settings
    return info


def data_size() -> dict:
    """SKUs, pairs and movements in the database (the scale a figure was measured at)."""
    from django.db import connection

    from inventory.models import SKU, StockBalance, StockMovement

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE relname = 'inventory_stockmovement'"
            )
            movements = int(cursor.fetchone()[0])
    else:
        movements = StockMovement.objects.count()
    return {
        "skus": SKU.objects.count(),
        "pairs": StockBalance.objects.count(),
        "movements": movements,
    }


# --- the database between two benchmarks ---------------------------------------------------

# Tables the recompute benchmark rewrites inside transactions it rolls back (its rebuild and
# `--full` nights write every facts, planning and alert row several times).
REWRITTEN_BY_ROLLED_BACK_NIGHTS = (
    "inventory_skufacts",
    "alerts_planningfigures",
    "alerts_alert",
    "inventory_stockbalance",
)


def settle_database(*, compact: tuple[str, ...] = ()) -> str:
    """Leave the database as a production server's autovacuum would between two runs:
    `VACUUM ANALYZE` (statistics of the rows a benchmark just wrote, dead rows reclaimable,
    visibility maps set), and `VACUUM FULL` of the tables in `compact`.

    The PostgreSQL of the development machine runs with autovacuum off: without this the SKU
    table had never been analysed after a seed, and after the recompute benchmark the facts and
    planning tables held 8 dead versions of every row (205 MB and 181 MB for 26 MB and 21 MB
    of live rows), which every list page then scanned. A production server never holds those:
    its nights commit, and autovacuum keeps the tables near their live size.
    Returns a line for the log (empty on SQLite)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return ""
    with connection.cursor() as cursor:
        cursor.execute("SHOW autovacuum")
        autovacuum = cursor.fetchone()[0]
        started = time.perf_counter()
        if compact:
            cursor.execute(f"VACUUM FULL {', '.join(compact)}")
        cursor.execute("VACUUM ANALYZE")
    return (
        f"VACUUM ANALYZE{' and VACUUM FULL ' + ', '.join(compact) if compact else ''} in "
        f"{time.perf_counter() - started:.1f} s (autovacuum is {autovacuum} on this server)"
    )


# --- the sandbox warehouse ----------------------------------------------------------------


def bench_warehouse():
    """The BENCH warehouse (created on demand), where benchmarks that commit write."""
    from inventory.models import Warehouse

    return Warehouse.objects.get_or_create(
        code=BENCH_WAREHOUSE,
        defaults={"name": "Benchmark sandbox (removed after each run)", "timezone": "UTC"},
    )[0]


def bench_user(username: str, role: str, *warehouses, email: str = ""):
    """A user of the sandbox with a role and memberships (password BENCH_PASSWORD)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    user, _ = get_user_model().objects.get_or_create(username=username)
    user.email = email or f"{username}@bench.invalid"
    user.set_password(BENCH_PASSWORD)
    user.is_superuser = user.is_staff = role == "admin"
    user.save()
    user.groups.set([Group.objects.get_or_create(name=role)[0]])
    user.warehouses.set(warehouses)
    return user


def bench_cleanup() -> None:
    """Remove everything the benchmarks wrote: the BENCH warehouse with its movements, counts,
    balances and derived rows, and the bench users, so the seeded data stay as seeded.

    The ledger trigger refuses DELETE; only here, as the database owner and only for the
    sandbox's rows, the trigger is bypassed for one transaction (`session_replication_role`).
    """
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from inventory.models import Warehouse

    bench = Warehouse.objects.filter(code=BENCH_WAREHOUSE).first()
    users = get_user_model().objects.filter(username__startswith="bench-")
    if bench is None:
        users.delete()
        return
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        wid = [bench.pk]
        cursor.execute(
            "DELETE FROM counting_countentry WHERE line_id IN (SELECT l.id FROM "
            "counting_countline l JOIN counting_countsession s ON s.id = l.session_id "
            "WHERE s.warehouse_id = %s)",
            wid,
        )
        cursor.execute(
            "DELETE FROM counting_countline WHERE session_id IN "
            "(SELECT id FROM counting_countsession WHERE warehouse_id = %s)",
            wid,
        )
        cursor.execute(
            "DELETE FROM counting_countsession_counters WHERE countsession_id IN "
            "(SELECT id FROM counting_countsession WHERE warehouse_id = %s)",
            wid,
        )
        cursor.execute("DELETE FROM counting_countsession WHERE warehouse_id = %s", wid)
        cursor.execute(
            "DELETE FROM alerts_outboxemail WHERE dedup_key LIKE 'alert-open:%%' AND "
            "split_part(dedup_key, ':', 2)::bigint IN "
            "(SELECT id FROM alerts_alert WHERE warehouse_id = %s)",
            wid,
        )
        for table in (
            "alerts_alert",
            "alerts_planningfigures",
            "inventory_skufacts",
            "inventory_stockmovement",
            "inventory_stockbalance",
            "inventory_importjob",
        ):
            cursor.execute(f"DELETE FROM {table} WHERE warehouse_id = %s", wid)  # noqa: S608
        for table in _extra_warehouse_tables(cursor):
            cursor.execute(f"DELETE FROM {table} WHERE warehouse_id = %s", wid)  # noqa: S608
        cursor.execute("DELETE FROM inventory_warehouse_members WHERE warehouse_id = %s", wid)
        cursor.execute("DELETE FROM inventory_warehouse WHERE id = %s", wid)
        # A stock check scheduled by a benchmark's own worker, gone with it: the next
        # benchmark's first sale would otherwise wait for the flag to go stale.
        cursor.execute("DELETE FROM alerts_recheckflag")
    users.delete()


def _extra_warehouse_tables(cursor) -> list[str]:
    """Other tables with a warehouse_id column (added by later apps), the ones done above and
    purchase orders (none in the sandbox) left out."""
    from django.db import connection

    done = {
        "alerts_alert",
        "alerts_planningfigures",
        "inventory_skufacts",
        "inventory_stockmovement",
        "inventory_stockbalance",
        "inventory_importjob",
        "counting_countsession",
        "inventory_warehouse_members",
        "inventory_purchaseorder",
    }
    tables = []
    for table in connection.introspection.table_names(cursor):
        if table in done:
            continue
        columns = [c.name for c in connection.introspection.get_table_description(cursor, table)]
        if "warehouse_id" in columns:
            tables.append(table)
    return tables


# --- a real server ------------------------------------------------------------------------


@dataclass
class CpuUse:
    """CPU seconds spent while a block ran: by this process (the load generator's client
    threads, when they run here) and by the whole machine (the server: web workers, the
    database, the Celery worker; plus the clients)."""

    clients_s: float = 0.0
    machine_s: float = 0.0
    # The server's share by part, when `cpu_use` was given the parts' process trees: each
    # name's processes, "database" (PostgreSQL's processes on this machine) and "other" (the
    # rest: processes that ended within the block, the kernel's own work, everything else).
    parts_s: dict[str, float] = field(default_factory=dict)

    @property
    def server_s(self) -> float:
        return max(0.0, self.machine_s - self.clients_s)


def _machine_busy_s() -> float:
    """Busy CPU seconds of every core since boot (/proc/stat: all but idle and iowait)."""
    with open("/proc/stat") as stat:
        ticks = [int(v) for v in stat.readline().split()[1:]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


def _process_cpu() -> dict[int, tuple[int, str, float]]:
    """Every live process: pid -> (parent pid, command line's start, CPU seconds so far)."""
    tick = os.sysconf("SC_CLK_TCK")
    processes = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes()[:40].decode(errors="replace")
        except OSError:  # ended meanwhile
            continue
        # The fields after the command name, which may hold spaces: ppid, …, utime, stime.
        fields = stat[stat.rfind(")") + 2 :].split()
        cpu_s = (int(fields[11]) + int(fields[12])) / tick
        processes[int(entry.name)] = (int(fields[1]), command, cpu_s)
    return processes


def _part_of(pid: int, processes: dict, roots: dict[int, str]) -> str | None:
    """The name of the root among `roots` that `pid` descends from (or is), if any."""
    seen = 0
    while pid in processes and seen < 64:
        if pid in roots:
            return roots[pid]
        pid, seen = processes[pid][0], seen + 1
    return None


@contextlib.contextmanager
def cpu_use(parts: dict[str, int] | None = None):
    """Measure CpuUse over the block (Linux; zeros elsewhere). `parts` names process trees by
    their root pid (e.g. {"web": gunicorn's master, "worker": Celery's}) to split the server's
    CPU between them and the database (`CpuUse.parts_s`)."""
    use = CpuUse()
    if not Path("/proc/stat").exists():
        yield use
        return
    before = _process_cpu() if parts else {}
    own, busy = os.times(), _machine_busy_s()
    yield use
    after = os.times()
    use.clients_s = (after.user - own.user) + (after.system - own.system)
    use.machine_s = _machine_busy_s() - busy
    if parts:
        use.parts_s = _split(before, _process_cpu(), parts, use.server_s)


def _split(before: dict, after: dict, parts: dict[str, int], server_s: float) -> dict[str, float]:
    roots = {pid: name for name, pid in parts.items()}
    split = dict.fromkeys([*parts, "database"], 0.0)
    for pid, (_parent, command, seconds) in after.items():
        name = _part_of(pid, after, roots)
        if name is None and command.startswith("postgres"):
            name = "database"
        if name is not None:
            split[name] += seconds - (before[pid][2] if pid in before else 0.0)
    split["other"] = max(0.0, server_s - sum(split.values()))
    return split


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    port: int
    access_log: Path
    process: subprocess.Popen

    def server_times(self, path_prefix: str = "", method: str = "") -> dict[str, list[float]]:
        """Server time (ms) of each logged request, grouped by path (query string kept)."""
        grouped: dict[str, list[float]] = {}
        for line in self.access_log.read_text().splitlines():
            match = _LOG_LINE.match(line)
            if not match:
                continue
            verb, path, status, ms = match.groups()
            path = path.removesuffix("?")
            if method and verb != method:
                continue
            if path.startswith(path_prefix):
                grouped.setdefault(path, []).append(float(ms))
        return grouped

    def mark(self) -> int:
        """The access log's length now (read only what follows with `since`)."""
        return self.access_log.stat().st_size if self.access_log.exists() else 0

    def since(self, offset: int) -> list[tuple[str, str, int, float]]:
        """(method, path, status, server ms) logged after `offset`."""
        with open(self.access_log, "rb") as handle:
            handle.seek(offset)
            text = handle.read().decode()
        rows = []
        for line in text.splitlines():
            match = _LOG_LINE.match(line)
            if match:
                verb, path, status, ms = match.groups()
                rows.append((verb, path.removesuffix("?"), int(status), float(ms)))
        return rows


_LOG_LINE = re.compile(r"^(\S+) (\S+) (\d+) ([\d.]+)$")


def production_workers() -> int:
    """The gunicorn worker count of docker-compose.yml's web service (what production runs),
    so the benchmarks measure the deployed server; 2 × cores + 1 if it cannot be read."""
    compose = (ROOT / "docker-compose.yml").read_text()
    match = re.search(r'"gunicorn"[^\]]*"--workers",\s*"(\d+)"', compose)
    return int(match.group(1)) if match else 2 * (os.cpu_count() or 1) + 1


@contextlib.contextmanager
def gunicorn(*, workers: int | None = None, threads: int = 1, env: dict | None = None):
    """gunicorn serving the project on a free loopback port; yields a Server.

    Server time comes from gunicorn's access log (`%(M)s`: milliseconds from the request read
    to the response written), so it does not include time spent queueing for a worker.
    """
    workers = workers or int(os.environ.get("BENCH_WORKERS") or 0) or production_workers()
    port = free_port()
    folder = Path(tempfile.mkdtemp(prefix="sw-bench-web-"))
    log = folder / "access.log"
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--access-logfile",
        str(log),
        "--access-logformat",
        "%(m)s %(U)s?%(q)s %(s)s %(M)s",
        "--error-logfile",
        str(folder / "error.log"),
        "--timeout",
        "120",
    ]
    full_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "benchmarks.settings", **(env or {})}
    process = subprocess.Popen(command, cwd=ROOT, env=full_env)  # noqa: S603
    try:
        _wait_for_port(port, process, folder / "error.log")
        yield Server(port, log, process)
    finally:
        _stop(process, timeout=20)
        shutil.rmtree(folder, ignore_errors=True)


def _stop(process: subprocess.Popen, *, timeout: float) -> None:
    """SIGTERM, then SIGKILL if the process has not ended within `timeout` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _wait_for_port(port: int, process: subprocess.Popen, error_log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {error_log.read_text()[-2000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not start within 60 s")


class Http:
    """One client: a session cookie or a token, CSRF handled, a fresh connection per request
    (gunicorn's sync workers close every connection anyway)."""

    def __init__(self, port: int, *, session: str | None = None, token: str | None = None):
        self.port = port
        self.cookies = {}
        if session:
            self.cookies["sessionid"] = session
        self.token = token

    def request(self, method: str, path: str, body: bytes | None = None, headers=None):
        """Returns (status, body bytes, client seconds)."""
        head = {"Host": "127.0.0.1", **(headers or {})}
        if self.cookies:
            head["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.token:
            head["Authorization"] = f"Token {self.token}"
        if method != "GET" and "csrftoken" in self.cookies:
            head["X-CSRFToken"] = self.cookies["csrftoken"]
            head["Referer"] = f"http://127.0.0.1:{self.port}/"
        started = time.perf_counter()
        conn = HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            conn.request(method, path, body=body, headers=head)
            response = conn.getresponse()
            data = response.read()
            for header, value in response.getheaders():
                if header.lower() == "set-cookie":
                    name, _, rest = value.partition("=")
                    self.cookies[name.strip()] = rest.split(";", 1)[0]
            return response.status, data, time.perf_counter() - started
        finally:
            conn.close()


def session_cookie(user) -> str:
    """A logged-in session for `user`, as the value of the sessionid cookie."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def api_token(user) -> str:
    from rest_framework.authtoken.models import Token

    return Token.objects.get_or_create(user=user)[0].key


def load_before_after(func):
    """Run func() and return (result, {"load_before": …, "load_after": …})."""
    before = [round(x, 2) for x in os.getloadavg()]
    result = func()
    after = [round(x, 2) for x in os.getloadavg()]
    return result, {"load_before": before, "load_after": after}


def plan_row(warehouse, sku) -> None:
    """Stored planning figures as the nightly step would have written them: ROP 60 units."""
    from django.utils import timezone

    from alerts.models import PlanningFigures

    now = timezone.now()
    PlanningFigures.objects.update_or_create(
        warehouse=warehouse,
        sku=sku,
        defaults={
            "as_of": timezone.localdate(),
            "on_hand": 100,
            "on_order": 0,
            "avg_daily_demand": 4.0,
            "demand_std": 2.0,
            "lead_time_days": 12,
            "lead_time_std_days": 0.0,
            "lead_time_std_source": "default",
            "service_level": 0.95,
            "z": 1.6449,
            "safety_stock": 11.4,
            "reorder_point": 59.4,
            "safety_stock_units": 12,
            "reorder_point_units": 60,
            "order_up_to": 87.4,
            "suggested_order_qty": 0,
            "days_of_cover": 25.0,
            "status": "OK",
            "urgency": 4,
            "ad_advice": "KEEP",
            "computed_at": now,
            "checked_at": now,
        },
    )


@contextlib.contextmanager
def celery_worker(env: dict, log_path: Path, loglevel: str = "WARNING"):
    """A Celery worker as the Procfile runs it (prefork, 2 processes), logging to `log_path`;
    stopped (killed if it does not stop within 30 s) when the block ends."""
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "--pool",
        "prefork",
        "--concurrency",
        "2",
        "--loglevel",
        loglevel,
        "--without-gossip",
        "--without-mingle",
    ]
    with log_path.open("w") as log:
        process = subprocess.Popen(  # noqa: S603
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            yield process
        finally:
            _stop(process, timeout=30)
