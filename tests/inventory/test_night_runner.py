"""The nightly runner: side steps run on a second connection beside the main line when each
step commits on PostgreSQL; a step waits for the side steps it needs; the run's temporary
tables a side step reads are copied to its connection; inside a transaction every step runs in
order on the caller's connection."""

import threading

import pytest
from django.db import connection

from inventory import night_runner
from inventory.hooks import NightlyStep
from inventory.models import Warehouse
from inventory.night_runner import CARRIER_PREFIX, run_steps, side_line_available

WAIT_SECONDS = 10


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def run(step: NightlyStep) -> None:
    from django.db import transaction

    with transaction.atomic():
        step.func(None)


def step(order, name, func, *, needs=None, side=False, handoff=()):
    return NightlyStep(order, name, func, needs, side, handoff)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_side_step_runs_beside_the_main_line_on_a_connection_of_its_own():
    main_reached = threading.Event()
    side_done = threading.Event()
    seen = {}

    def side_step(_day):
        # Blocks until the main line has gone past it: only possible if both run at once.
        assert main_reached.wait(WAIT_SECONDS), "the side step did not run beside the main line"
        seen["side"] = (backend_pid(), threading.current_thread().name)
        side_done.set()

    def first(_day):
        seen["first"] = backend_pid()

    def later(_day):
        seen["later"] = backend_pid()
        main_reached.set()
        assert side_done.wait(WAIT_SECONDS)

    assert side_line_available()
    run_steps(
        [
            step(0, "first", first),
            step(10, "side", side_step, needs=("first",), side=True),
            step(20, "later", later, needs=("first",)),
        ],
        run,
    )
    side_pid, side_thread = seen["side"]
    assert seen["first"] == seen["later"] == backend_pid()
    assert side_pid != seen["first"]
    assert side_thread.startswith("night-side")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_step_sees_what_the_side_steps_it_needs_committed():
    counted = {}

    def write(_day):
        threading.Event().wait(0.3)  # the main line reaches the reader before this commits
        Warehouse.objects.create(code="SIDE", name="Written on the side line")

    def read(_day):
        counted["warehouses"] = Warehouse.objects.filter(code="SIDE").count()

    run_steps(
        [step(10, "write", write, needs=(), side=True), step(20, "read", read, needs=("write",))],
        run,
    )
    assert counted["warehouses"] == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("through_server", [True, False], ids=["server", "client"])
def test_a_side_step_reads_the_run_tables_it_names_copied_with_their_rows_and_indexes(
    through_server, monkeypatch
):
    """Through an unlogged table on the server, or through the client when the database user
    may not create tables."""
    monkeypatch.setattr(night_runner, "may_create_tables", lambda: through_server)
    copied = {}
    statements = []

    def make(_day):
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS sw_test_pairs")
            cursor.execute(
                "CREATE TEMP TABLE sw_test_pairs (warehouse_id bigint, sku_id bigint, day date)"
            )
            cursor.execute(
                "INSERT INTO sw_test_pairs SELECT n % 3, n, DATE '2026-11-01' + (n % 20) "
                "FROM generate_series(1, 5000) n"
            )
            cursor.execute(
                "CREATE INDEX sw_test_pairs_pair ON sw_test_pairs (warehouse_id, sku_id)"
            )

    def read(_day):
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*), SUM(sku_id), MAX(day) FROM sw_test_pairs")
            copied["rows"] = cursor.fetchone()
            cursor.execute(
                "SELECT indexname FROM pg_indexes WHERE tablename = 'sw_test_pairs' "
                "AND schemaname = (SELECT nspname FROM pg_namespace "
                "WHERE oid = pg_my_temp_schema())"
            )
            copied["indexes"] = [row[0] for row in cursor.fetchall()]
            copied["pid"] = backend_pid()

    def record(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    try:
        with connection.execute_wrapper(record):
            run_steps(
                [
                    step(0, "make", make),
                    step(10, "read", read, needs=("make",), side=True, handoff=("sw_test_pairs",)),
                ],
                run,
            )
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*), SUM(sku_id), MAX(day) FROM sw_test_pairs")
            original = cursor.fetchone()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS sw_test_pairs")
    assert copied["pid"] != backend_pid()
    assert copied["rows"] == original
    assert original[0] == 5000
    assert copied["indexes"] == ["sw_test_pairs_pair"]
    assert carriers() == []  # the table that carried the rows is gone
    carried = any(sql.startswith("CREATE UNLOGGED TABLE") for sql in statements)
    assert carried == through_server


def carriers() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE starts_with(relname, %s) ORDER BY relname",
            [CARRIER_PREFIX],
        )
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_hand_off_the_side_line_never_took_is_dropped_and_so_are_a_dead_nights():
    """A side step that needs a failed one never restores its hand-off: the run drops the
    table that carried it. A carrier whose night is gone (a killed worker; no session has its
    process id) is swept when the next night starts; a live night's is left alone."""
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE UNLOGGED TABLE {CARRIER_PREFIX}2147483647_sw_dead (n int)")
        cursor.execute(f"CREATE UNLOGGED TABLE {CARRIER_PREFIX}{backend_pid()}_sw_live (n int)")

    def make(_day):
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS sw_test_pairs")
            cursor.execute("CREATE TEMP TABLE sw_test_pairs AS SELECT 1 AS n")

    def boom(_day):
        raise RuntimeError("ageing broke")

    try:
        with pytest.raises(RuntimeError, match="ageing broke"):
            run_steps(
                [
                    step(0, "make", make),
                    step(10, "boom", boom, needs=("make",), side=True),
                    step(20, "read", make, needs=("boom",), side=True, handoff=("sw_test_pairs",)),
                ],
                run,
            )
        assert carriers() == [f"{CARRIER_PREFIX}{backend_pid()}_sw_live"]
    finally:
        with connection.cursor() as cursor:
            for name in carriers():
                cursor.execute(f"DROP TABLE {name}")
            cursor.execute("DROP TABLE IF EXISTS sw_test_pairs")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_failing_side_step_fails_the_night_and_what_needs_it_never_runs():
    ran = []

    def boom(_day):
        raise RuntimeError("ageing broke")

    def before(_day):
        Warehouse.objects.create(code="KEPT", name="Committed before the failure")

    with pytest.raises(RuntimeError, match="ageing broke"):
        run_steps(
            [
                step(0, "before", before),
                step(10, "boom", boom, needs=("before",), side=True),
                step(20, "independent", lambda _d: ran.append("independent"), needs=("before",)),
                step(30, "after", lambda _d: ran.append("after"), needs=("boom",)),
            ],
            run,
        )
    assert ran == ["independent"]  # a step that does not read the failed one still ran
    assert Warehouse.objects.filter(code="KEPT").exists()  # each step commits its own work


@pytest.mark.django_db
def test_inside_a_transaction_every_step_runs_in_order_on_the_callers_connection():
    order = []

    def record(name):
        return lambda _day: order.append((name, threading.current_thread().name))

    assert not side_line_available()
    run_steps(
        [
            step(0, "facts", record("facts")),
            step(10, "side a", record("side a"), needs=("facts",), side=True),
            step(20, "main", record("main"), needs=("facts",)),
            step(30, "side b", record("side b"), needs=("facts",), side=True),
        ],
        run,
    )
    here = threading.current_thread().name
    assert order == [("facts", here), ("side a", here), ("main", here), ("side b", here)]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_setting_keeps_every_step_on_one_connection(settings):
    settings.STOCKWISE = {**settings.STOCKWISE, "NIGHT_SIDE_CONNECTION": False}
    pids = []
    run_steps(
        [
            step(0, "a", lambda _d: pids.append(backend_pid())),
            step(10, "b", lambda _d: pids.append(backend_pid()), needs=("a",), side=True),
        ],
        run,
    )
    assert pids == [backend_pid(), backend_pid()]


@pytest.mark.django_db
@pytest.mark.parametrize("needs", [("later",), ("demnad",)])
def test_a_step_may_only_need_steps_that_run_before_it(needs):
    ran = []
    with pytest.raises(ValueError, match="do not run before it"):
        run_steps(
            [
                step(0, "demand", lambda _d: ran.append("demand")),
                step(10, "reader", lambda _d: ran.append("reader"), needs=needs, side=True),
                step(20, "later", lambda _d: ran.append("later")),
            ],
            run,
        )
    assert ran == []  # refused before anything ran


def test_the_registered_steps_only_need_earlier_ones():
    from inventory import hooks
    from inventory.night_runner import _check_needs

    _check_needs(list(hooks.nightly_steps))  # raises if an app declared a later or unknown step
    assert {"demand", "planning", "ageing", "ad advice"} <= {s.name for s in hooks.nightly_steps}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_main_line_does_not_wait_for_what_only_side_steps_need():
    """A side step waits for the side steps it needs on the side line: the main line goes on
    (here the slow side step can only finish once a later main step has run)."""
    main_reached = threading.Event()
    order = []

    def slow_side(_day):
        assert main_reached.wait(WAIT_SECONDS), "the main line waited for a side step"
        order.append("slow side")

    def after_it(_day):
        order.append("side after it")

    def later(_day):
        order.append("main")
        main_reached.set()

    run_steps(
        [
            step(0, "first", lambda _day: None),
            step(10, "slow side", slow_side, needs=("first",), side=True),
            step(20, "side after it", after_it, needs=("slow side",), side=True),
            step(30, "later", later, needs=("first",)),
        ],
        run,
    )
    assert order == ["main", "slow side", "side after it"]


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_dead_nights_carrier_is_swept_from_a_schema_named_in_mixed_case():
    """The schema is matched by its name as it is, not folded to lower case as an identifier."""
    with connection.cursor() as cursor:
        cursor.execute('CREATE SCHEMA "Stock_Wise"')
        cursor.execute('SET LOCAL search_path TO "Stock_Wise", public')
        cursor.execute(f"CREATE UNLOGGED TABLE {CARRIER_PREFIX}2147483647_sw_dead (n int)")
        night_runner.sweep_carriers()
        cursor.execute(
            "SELECT COUNT(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'Stock_Wise'"
        )
        assert cursor.fetchone()[0] == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_recompute_reports_the_time_the_night_took_and_where_each_step_ran(monkeypatch):
    """On two connections steps overlap: the command says how long the night took, not the sum
    of its steps, and each step's timing says where and when it ran."""
    import io
    import time

    from django.core.management import call_command

    from inventory import hooks
    from inventory.facts import recompute

    monkeypatch.setattr(
        hooks,
        "nightly_steps",
        [
            step(0, "slow side", lambda _d: time.sleep(0.4), side=True),
            step(10, "slow main", lambda _d: time.sleep(0.4), needs=()),
        ],
    )
    out = io.StringIO()
    call_command("recompute", stdout=out)
    text = out.getvalue()
    assert "slow side (second connection): 0.4" in text, text
    assert "slow main: 0.4" in text, text
    reported = float(text.split("Recompute done in ")[1].split(" s")[0])
    assert 0.4 <= reported < 0.7, text  # the steps add up to 0.8 s
    assert "(1 of 2 steps on a second connection)" in text

    timings = {t.name: t for t in recompute()}
    side, main = timings["slow side"], timings["slow main"]
    assert side.side and not main.side
    assert side.started < main.started + main.seconds and main.started < side.started + side.seconds


@pytest.mark.django_db
def test_inside_a_transaction_no_step_is_reported_on_a_second_connection():
    from inventory import hooks
    from inventory.facts import recompute

    timings = recompute()
    # Steps registered for the second connection ran on this one, and say so.
    registered_side = {step.name for step in hooks.nightly_steps if step.side}
    assert registered_side & {t.name for t in timings}
    assert not any(t.side for t in timings)
