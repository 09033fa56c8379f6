"""Writing the simulated ledger: COPY on PostgreSQL, bulk_create elsewhere.

For a load that is big next to the table, PostgreSQL drops the movement table's secondary
indexes and foreign keys first and rebuilds them after the COPY (same names and definitions,
inside the same transaction): one sorted build is several times faster than maintaining five
B-trees and a deferred foreign-key check per row.
"""

import contextlib
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import connection
from django.utils import timezone

from inventory.demo.simulate import RECEIPT, RETURN, SALE
from inventory.models import MovementKind, StockMovement

KINDS = {RECEIPT: MovementKind.RECEIPT, SALE: MovementKind.SALE, RETURN: MovementKind.RETURN}
COLUMNS = (
    "warehouse_id, sku_id, kind, quantity, occurred_at, unit_cost, source, external_ref, "
    "user_id, note, created_at"
)
TABLE = "inventory_stockmovement"
# Rebuild indexes when the load adds at least this many rows, more than the table holds.
REBUILD_MIN_ROWS = 500_000


def bulk_load(model, objects: list, batch_size: int = 5000) -> None:
    model.objects.bulk_create(objects, batch_size=batch_size)


@contextlib.contextmanager
def make_writer(skus, homes, start, days: int):
    """A `write(day index, rows) -> count` for the simulated rows of the given SKUs."""
    if connection.vendor == "postgresql":
        estimate = len(skus) * days // 4  # ≈ rows per SKU-day of the default long tail
        with _rebuilt_indexes(estimate), _copy_writer(skus, homes, start) as write:
            yield write
    else:
        yield _orm_writer(skus, homes, start)


def _orm_writer(skus, homes, start):
    zones = {w.pk: ZoneInfo(w.timezone) for w in homes}

    def write(d: int, rows) -> int:
        day = start + timedelta(days=d)
        objects = []
        for i, kind, qty, second in rows:
            sku, warehouse = skus[i], homes[i]
            local = datetime.combine(day, time(second // 3600, second // 60 % 60, second % 60))
            objects.append(
                StockMovement(
                    warehouse_id=warehouse.pk,
                    sku_id=sku.pk,
                    kind=KINDS[kind],
                    quantity=qty,
                    occurred_at=local.replace(tzinfo=zones[warehouse.pk]),
                    unit_cost=sku.unit_cost,
                    source="seed",
                )
            )
        StockMovement.objects.bulk_create(objects, batch_size=2000)
        return len(objects)

    return write


@contextlib.contextmanager
def _copy_writer(skus, homes, start):
    now = timezone.now().isoformat()
    prefix = [f"{homes[i].pk}\t{sku.pk}\t" for i, sku in enumerate(skus)]
    tail = [f"\t{sku.unit_cost}\tseed\t\\N\t\\N\t\t{now}\n" for sku in skus]
    home_index = {w.pk: n for n, w in enumerate({w.pk: w for w in homes}.values())}
    warehouses = list({w.pk: w for w in homes}.values())
    sku_home = [home_index[w.pk] for w in homes]
    times = [f" {s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86400)]
    kinds = {k: f"{v}\t" for k, v in KINDS.items()}

    def day_stamps(d: int) -> list[str]:
        """'YYYY-MM-DD' and the UTC offset of each warehouse on that day (taken at noon)."""
        day = start + timedelta(days=d)
        stamps = []
        for warehouse in warehouses:
            noon = datetime.combine(day, time(12), ZoneInfo(warehouse.timezone))
            minutes = int(noon.utcoffset().total_seconds() // 60)
            sign = "+" if minutes >= 0 else "-"
            offset = f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
            stamps.append((day.isoformat(), offset))
        return stamps

    with connection.cursor() as cursor, cursor.copy(f"COPY {TABLE} ({COLUMNS}) FROM STDIN") as copy:

        def write(d: int, rows) -> int:
            stamps = day_stamps(d)
            lines = []
            append = lines.append
            for i, kind, qty, second in rows:
                date_text, offset = stamps[sku_home[i]]
                append(
                    f"{prefix[i]}{kinds[kind]}{qty}\t{date_text}{times[second]}{offset}{tail[i]}"
                )
            copy.write("".join(lines))
            return len(lines)

        yield write


@contextlib.contextmanager
def _rebuilt_indexes(expected_rows: int):
    """Drop the movement table's secondary indexes and foreign keys for a big load, then
    rebuild them from their saved definitions (all inside the caller's transaction)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [TABLE])
        existing = max(0, int(cursor.fetchone()[0]))
        if expected_rows < REBUILD_MIN_ROWS or existing > expected_rows:
            yield
            return
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'f'",
            [TABLE],
        )
        foreign_keys = cursor.fetchall()
        cursor.execute(
            "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid "
            "WHERE x.indrelid = %s::regclass AND NOT x.indisprimary AND NOT x.indisunique",
            [TABLE],
        )
        indexes = cursor.fetchall()
        # Fire the deferred checks of the rows written so far (SKUs): ALTER TABLE needs that.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for name, _definition in foreign_keys:
            cursor.execute(f'ALTER TABLE {TABLE} DROP CONSTRAINT "{name}"')
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        for _name, definition in indexes:
            cursor.execute(definition)
        for name, definition in foreign_keys:
            cursor.execute(f'ALTER TABLE {TABLE} ADD CONSTRAINT "{name}" {definition}')
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
