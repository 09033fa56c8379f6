"""The real-time check's queue: postings add the (warehouse, SKU) pairs they touched; one task
checks every pair queued so far.

A Celery task per posting cost each POST a broker publish (about a tenth of its time) and the
worker a check each: through a live stream's hundreds of sales a second the worker fell behind
by as many tasks. Now the posting's commit hook runs one statement that queues its pairs and
takes the "check scheduled" flag. Only the posting that takes the flag publishes a task; it runs
`WINDOW_SECONDS` later and checks everything queued by then at once (a fixed number of
queries, `services.recheck_pairs`).

Why nothing is missed (PostgreSQL, READ COMMITTED): the hook's statement holds a shared
advisory lock until it commits; the check drops the flag under the exclusive lock, so it waits
for every hook that may have found the flag, and takes the queue in a later statement that sees
what they queued. A hook after that finds no flag, takes it and publishes. (SQLite runs one
writer at a time, which orders them the same way.) Where the flag and the pair are already
there, the hook writes nothing, so it commits without a WAL flush; the queue is asynchronously
committed anyway (`synchronous_commit` off for that statement): a database crash can lose the
last moment's pairs, which the nightly run checks again. A flag older than `STALE_AFTER` (its
task lost) is taken over by the next posting, and the beat runs a check every minute besides.
"""

import logging
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 0.25
# A check normally starts well within a second of its flag; one the worker lost (restarted
# while holding it) is taken over by the first posting after this, or run by the beat.
STALE_AFTER = timedelta(seconds=10)
_FLAG_ID = 1
_ADVISORY_LOCK = 0x5357_5243  # "SWRC"; no other advisory lock in the project

_QUEUE_AND_TAKE_FLAG_PG = """
WITH held AS (
    SELECT pg_advisory_xact_lock_shared(%(lock)s),
           set_config('synchronous_commit', 'off', true)
), queued AS (
    INSERT INTO alerts_pendingrecheck (warehouse_id, sku_id)
    SELECT DISTINCT m.warehouse_id, m.sku_id FROM inventory_stockmovement m, held
    WHERE m.id = ANY(%(ids)s) ORDER BY 1, 2
    ON CONFLICT (warehouse_id, sku_id) DO NOTHING
), taken AS (
    INSERT INTO alerts_recheckflag (id, taken_at) SELECT %(flag)s, %(now)s FROM held
    ON CONFLICT (id) DO NOTHING RETURNING id
)
SELECT EXISTS (SELECT FROM taken), (SELECT taken_at FROM alerts_recheckflag WHERE id = %(flag)s)
"""
_TAKE_FLAG_SQL = (
    "INSERT INTO alerts_recheckflag (id, taken_at) VALUES (%(flag)s, %(now)s) "
    "ON CONFLICT (id) DO NOTHING RETURNING id"
)
_TAKE_OVER_SQL = (
    "UPDATE alerts_recheckflag SET taken_at = %(now)s "
    "WHERE id = %(flag)s AND taken_at < %(stale)s RETURNING id"
)
_QUEUE_PAIRS_SQL = (
    "INSERT INTO alerts_pendingrecheck (warehouse_id, sku_id) VALUES (%s, %s) "
    "ON CONFLICT (warehouse_id, sku_id) DO NOTHING"
)


def queue_after_posting(movement_ids: list[int]) -> bool:
    """Queue the pairs of committed movements; True when the caller must schedule the check
    (it took the flag, or took over a stale one)."""
    now = timezone.now()
    flag = {"flag": _FLAG_ID, "now": now}
    stale = now - STALE_AFTER
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            params = {**flag, "ids": list(movement_ids), "lock": _ADVISORY_LOCK}
            cursor.execute(_QUEUE_AND_TAKE_FLAG_PG, params)
            took, taken_at = cursor.fetchone()
        else:
            with transaction.atomic():
                queue_pairs(pairs_of(movement_ids))
                cursor.execute(_TAKE_FLAG_SQL, flag)
                took = cursor.fetchone() is not None
                taken_at = None if took else _flag_taken_at()
        if took or taken_at is None or taken_at >= stale:
            return bool(took)
        cursor.execute(_TAKE_OVER_SQL, {**flag, "stale": stale})
        return cursor.fetchone() is not None


def _flag_taken_at():
    from alerts.models import RecheckFlag

    return RecheckFlag.objects.filter(pk=_FLAG_ID).values_list("taken_at", flat=True).first()


def queue_pairs(pairs) -> None:
    with connection.cursor() as cursor:
        cursor.executemany(_QUEUE_PAIRS_SQL, sorted(pairs))


def pairs_of(movement_ids: list[int]) -> set[tuple[int, int]]:
    from inventory.models import StockMovement

    return set(
        StockMovement.objects.filter(pk__in=movement_ids).values_list("warehouse_id", "sku_id")
    )


def recheck_movements(movement_ids: list[int]) -> list[int]:
    """Check the pairs of these movements now, outside the queue; returns the alerts opened."""
    from alerts.services import recheck_pairs

    return recheck_pairs(pairs_of(movement_ids))


def take_pending() -> set[tuple[int, int]]:
    """Drop the flag, then take (remove and return) every queued pair.

    Two transactions on purpose (module docstring), both short: a posting never waits for a
    check to finish. Call it outside a transaction, or the lock lasts as long as that.
    """
    from alerts.models import RecheckFlag

    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ADVISORY_LOCK])
        RecheckFlag.objects.filter(pk=_FLAG_ID).delete()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM alerts_pendingrecheck RETURNING warehouse_id, sku_id")
        return {(w, s) for w, s in cursor.fetchall()}


def recheck_pending() -> list[int]:
    """Check every queued pair; returns the ids of the alerts opened.

    A check that fails puts its pairs back in the queue for the next one (the beat's, at the
    latest) and raises.
    """
    from alerts.services import recheck_pairs

    pairs = take_pending()
    if not pairs:
        return []
    try:
        return recheck_pairs(pairs)
    except Exception:
        queue_pairs(pairs)
        raise
