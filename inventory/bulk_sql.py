"""Set-based writes for big batches of the posting service (PostgreSQL).

Django's bulk_create and bulk_update prepare every value of every row through the ORM, and
bulk_update sends a CASE with one branch per row; at thousands of rows that costs more than
the database work. These helpers send one array per column instead (`unnest`). They are called
by `inventory.services` (and `inventory.daily`, for the rollup) only, inside its transaction,
with the balance rows locked.
"""

from contextlib import contextmanager
from datetime import datetime

from django.db import connection
from django.utils import timezone

from inventory.models import StockBalance, StockMovement

# Above this many rows, PostgreSQL gets one array per column instead of an IN list / VALUES.
SMALL_BATCH = 50


@contextmanager
def binary_cursor():
    """PostgreSQL: a Django cursor whose `%b` parameters travel in binary (server-side binding).

    Django's cursor binds on the client: every array element is quoted into the SQL text, each
    checked by a regex, timestamps formatted as text (94k movements' arrays: 1.6 s to build).
    In binary the same arrays cost 0.6 s, round trips included. Django's wrapping stays (errors
    translated, queries logged and counted: `_prepare_cursor` is what `connection.cursor()`
    does to its own cursor, Django 5.2). One statement an execute: no `;`-joined SQL. psycopg
    prepares a statement run 5 times on a connection: keep these to array statements, whose
    plan does not depend on the values.
    """
    import psycopg

    connection.ensure_connection()
    cursor = connection._prepare_cursor(psycopg.Cursor(connection.connection))
    try:
        yield cursor
    finally:
        cursor.close()


def write_balances(changed: list[StockBalance], now: datetime) -> None:
    """Write the new on-hand of the locked balance rows in one statement.

    (Django's bulk_update builds a CASE with one branch per row: seconds for a few thousand.)
    """
    if not changed:
        return
    if connection.vendor == "postgresql":
        with binary_cursor() as cursor:
            cursor.execute(
                "UPDATE inventory_stockbalance AS b SET on_hand = v.on_hand, updated_at = %s "
                "FROM unnest(%b::bigint[], %b::integer[]) AS v(id, on_hand) WHERE b.id = v.id",
                [now, [b.pk for b in changed], [b.on_hand for b in changed]],
            )
        return
    with connection.cursor() as cursor:
        stamp = connection.ops.adapt_datetimefield_value(now)
        cursor.executemany(
            "UPDATE inventory_stockbalance SET on_hand = %s, updated_at = %s WHERE id = %s",
            [(b.on_hand, stamp, b.pk) for b in changed],
        )


class BalanceRace(Exception):  # noqa: N818 - a signal to start the transaction again
    """Another transaction created one of the missing balance rows meanwhile (see below)."""


_BALANCE_FIELDS = ["id", "warehouse_id", "sku_id", "on_hand", "updated_at"]


def lock_balances_pg(
    keys: list[tuple[int, int]], *, may_restart: bool, refs_of: tuple[str, list[str]] | None = None
) -> tuple[dict[tuple[int, int], StockBalance], dict[str, StockMovement] | None]:
    """PostgreSQL: lock the balance rows of `keys` (sorted) in (warehouse, SKU) order, creating
    the missing ones; one statement when they all exist, the usual case.

    Rows this transaction inserts are its own until it commits (another writer of the same key
    waits on the unique index), so they need no lock. When a missing row was created by another
    transaction meanwhile (the insert found a conflict), locking it now would break the order:
    with `may_restart` the caller starts its transaction again (BalanceRace), otherwise the row
    is locked now, as the only exception to the order.

    With `refs_of` = (source, external refs), the ledger rows already holding those refs are
    read in the same round trip, by a second statement that runs once the locks are held (in
    READ COMMITTED it sees what a writer that held them committed). Returns (balances, those
    rows by ref), or (balances, None) when rows were missing and the caller must read them.
    """
    warehouse_ids, sku_ids = [w for w, _s in keys], [s for _w, s in keys]
    from_db = StockBalance.from_db
    with connection.cursor() as cursor:
        if refs_of:
            cursor.execute(f"{_LOCK_SQL}; {REFS_SQL}", [warehouse_ids, sku_ids, *refs_of])
        else:
            cursor.execute(_LOCK_SQL, [warehouse_ids, sku_ids])
        found = {(r[1], r[2]): from_db("default", _BALANCE_FIELDS, r) for r in cursor.fetchall()}
        existing = None
        if refs_of:
            cursor.nextset()
            existing = {}
            for r in cursor.fetchall():
                row = StockMovement.from_db("default", _MOVEMENT_NAMES, r)
                existing[row.external_ref] = row
        if len(found) == len(keys):
            return found, existing
        missing = [key for key in keys if key not in found]
        cursor.execute(
            "INSERT INTO inventory_stockbalance (warehouse_id, sku_id, on_hand, updated_at) "
            "SELECT k.w, k.s, 0, %s FROM unnest(%s::bigint[], %s::bigint[]) AS k(w, s) "
            "ORDER BY k.w, k.s ON CONFLICT (warehouse_id, sku_id) DO NOTHING "
            "RETURNING id, warehouse_id, sku_id, on_hand, updated_at",
            [timezone.now(), [w for w, _s in missing], [s for _w, s in missing]],
        )
        for r in cursor.fetchall():
            found[(r[1], r[2])] = from_db("default", _BALANCE_FIELDS, r)
        raced = [key for key in missing if key not in found]
        if raced:
            if may_restart:
                raise BalanceRace
            cursor.execute(_LOCK_SQL, [[w for w, _s in raced], [s for _w, s in raced]])
            for r in cursor.fetchall():
                found[(r[1], r[2])] = from_db("default", _BALANCE_FIELDS, r)
    return found, None


_LOCK_SQL = (
    "SELECT b.id, b.warehouse_id, b.sku_id, b.on_hand, b.updated_at "
    "FROM inventory_stockbalance b "
    "JOIN unnest(%s::bigint[], %s::bigint[]) AS k(w, s) "
    "ON b.warehouse_id = k.w AND b.sku_id = k.s "
    "ORDER BY b.warehouse_id, b.sku_id FOR UPDATE OF b"
)


# Ledger rows holding some external refs of a source; columns in the model's field order, as
# `Model.from_db` reads a full row.
_MOVEMENT_NAMES = [f.attname for f in StockMovement._meta.concrete_fields]
REFS_SQL = (
    f"SELECT {', '.join(f.column for f in StockMovement._meta.concrete_fields)} "  # noqa: S608
    "FROM inventory_stockmovement WHERE source = %s AND external_ref = ANY(%s)"
)


_MOVEMENT_COLUMNS = (
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


def write_posting(
    rows: list[StockMovement], changed: list[StockBalance], day_sql, now: datetime
) -> None:
    """PostgreSQL: insert the new ledger rows, upsert their days and write the new on-hand of
    the locked balances in ONE statement (data-modifying WITH clauses), and set the row ids.

    `day_sql` is (sql, params) of the daily rollup upsert. One round trip instead of three; a
    big import batch sends one array per column, as the helpers above.
    """
    for row in rows:
        row.created_at = now
    names = ", ".join(name for name, _type in _MOVEMENT_COLUMNS)
    arrays = ", ".join(f"%s::{kind}[]" for _name, kind in _MOVEMENT_COLUMNS)
    params = [[getattr(row, name) for row in rows] for name, _type in _MOVEMENT_COLUMNS]
    sql = (
        f"WITH m AS (INSERT INTO inventory_stockmovement ({names}) "  # noqa: S608 - fixed names
        f"SELECT * FROM unnest({arrays}) RETURNING id)"
    )
    if day_sql:
        sql += f", d AS ({day_sql[0]})"
        params += day_sql[1]
    if changed:
        sql += (
            ", b AS (UPDATE inventory_stockbalance AS b SET on_hand = v.on_hand, updated_at = %s "
            "FROM unnest(%s::bigint[], %s::integer[]) AS v(id, on_hand) WHERE b.id = v.id)"
        )
        params += [now, [b.pk for b in changed], [b.on_hand for b in changed]]
    with connection.cursor() as cursor:
        cursor.execute(sql + " SELECT id FROM m", params)  # noqa: S608 - fixed text
        ids = cursor.fetchall()
    for row, (pk,) in zip(rows, ids, strict=True):
        row.pk = row.id = pk
        row._state.adding = False
        row._state.db = "default"


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
    columns = _MOVEMENT_COLUMNS
    names = ", ".join(name for name, _type in columns)
    arrays = ", ".join(f"%b::{kind}[]" for _name, kind in columns)
    with binary_cursor() as cursor:
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
