"""Set-based writes for big batches of the posting service (PostgreSQL).

Django's bulk_create and bulk_update prepare every value of every row through the ORM, and
bulk_update sends a CASE with one branch per row; at thousands of rows that costs more than
the database work. These helpers send one array per column instead (`unnest`). They are called
by `inventory.services` only, inside its transaction, with the balance rows locked.
"""

from datetime import datetime

from django.db import connection
from django.utils import timezone

from inventory.models import StockBalance, StockMovement

# Above this many rows, PostgreSQL gets one array per column instead of an IN list / VALUES.
SMALL_BATCH = 50


def write_balances(changed: list[StockBalance], now: datetime) -> None:
    """Write the new on-hand of the locked balance rows in one statement.

    (Django's bulk_update builds a CASE with one branch per row: seconds for a few thousand.)
    """
    if not changed:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "UPDATE inventory_stockbalance AS b SET on_hand = v.on_hand, updated_at = %s "
                "FROM unnest(%s::bigint[], %s::integer[]) AS v(id, on_hand) WHERE b.id = v.id",
                [now, [b.pk for b in changed], [b.on_hand for b in changed]],
            )
        else:
            stamp = connection.ops.adapt_datetimefield_value(now)
            cursor.executemany(
                "UPDATE inventory_stockbalance SET on_hand = %s, updated_at = %s WHERE id = %s",
                [(b.on_hand, stamp, b.pk) for b in changed],
            )


def lock_balances_bulk(keys: list[tuple[int, int]]) -> dict[tuple[int, int], StockBalance]:
    """PostgreSQL, many keys: the same in two statements with one array per column."""
    warehouse_ids, sku_ids = [w for w, _s in keys], [s for _w, s in keys]
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO inventory_stockbalance (warehouse_id, sku_id, on_hand, updated_at) "
            "SELECT k.w, k.s, 0, %s FROM unnest(%s::bigint[], %s::bigint[]) AS k(w, s) "
            "ON CONFLICT (warehouse_id, sku_id) DO NOTHING",
            [timezone.now(), warehouse_ids, sku_ids],
        )
        cursor.execute(
            "SELECT b.id, b.warehouse_id, b.sku_id, b.on_hand, b.updated_at "
            "FROM inventory_stockbalance b "
            "JOIN unnest(%s::bigint[], %s::bigint[]) AS k(w, s) "
            "ON b.warehouse_id = k.w AND b.sku_id = k.s "
            "ORDER BY b.warehouse_id, b.sku_id FOR UPDATE OF b",
            [warehouse_ids, sku_ids],
        )
        rows = cursor.fetchall()
    from_db = StockBalance.from_db
    names = ["id", "warehouse_id", "sku_id", "on_hand", "updated_at"]
    return {(row[1], row[2]): from_db("default", names, row) for row in rows}


def insert_movements(rows: list[StockMovement], now: datetime) -> None:
    """Insert the new ledger rows and set their ids.

    On PostgreSQL a big batch goes as one INSERT … SELECT FROM unnest(arrays) RETURNING id,
    built straight from the rows: Django's bulk_create prepares every value of every field
    through the ORM, which costs more than the insert itself at thousands of rows.
    """
    if connection.vendor != "postgresql" or len(rows) <= SMALL_BATCH:
        StockMovement.objects.bulk_create(rows, batch_size=5000)
        return
    for row in rows:
        row.created_at = now
    columns = (
        ("warehouse_id", "bigint"),
        ("sku_id", "bigint"),
        ("kind", "text"),
        ("quantity", "integer"),
        ("occurred_at", "timestamptz"),
        ("unit_cost", "numeric"),
        ("source", "text"),
        ("external_ref", "text"),
        ("user_id", "integer"),
        ("note", "text"),
        ("created_at", "timestamptz"),
    )
    names = ", ".join(name for name, _type in columns)
    arrays = ", ".join(f"%s::{kind}[]" for _name, kind in columns)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 10_000):
            batch = rows[start : start + 10_000]
            values = [[getattr(row, name) for row in batch] for name, _type in columns]
            cursor.execute(
                f"INSERT INTO inventory_stockmovement ({names}) "  # noqa: S608 - fixed names
                f"SELECT * FROM unnest({arrays}) RETURNING id",
                values,
            )
            for row, (pk,) in zip(batch, cursor.fetchall(), strict=True):
                row.pk = row.id = pk
                row._state.adding = False
                row._state.db = "default"
