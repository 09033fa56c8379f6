"""The nightly job: one code path for the `recompute` command and the Celery beat task.

Each app registers its steps in `AppConfig.ready()` with `hooks.register_nightly_step`; this
module only runs them in order. Inventory's own first step makes sure every (warehouse, SKU) with
a balance has a SkuFacts row for the later steps to fill.
"""

import logging
import time
from dataclasses import dataclass
from datetime import date

from django.db import connection, transaction
from django.utils import timezone

from inventory import hooks

logger = logging.getLogger(__name__)


@dataclass
class StepTiming:
    name: str
    seconds: float


def facts_ensure_rows(as_of: date) -> None:
    """Insert a SkuFacts row for each balance that has none; stamp all rows with `as_of`."""
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO inventory_skufacts (warehouse_id, sku_id, as_of, avg_daily_demand,
                demand_std, available_days, units_sold_window, max_daily_sales_recent,
                cogs_window, abc_class, oldest_unit_age_days, units_sold_slow_window,
                slow_mover, computed_at)
            SELECT b.warehouse_id, b.sku_id, %s, 0, 0, 0, 0, 0, 0, '', NULL, 0, FALSE, %s
            FROM inventory_stockbalance b
            WHERE NOT EXISTS (SELECT 1 FROM inventory_skufacts f
                              WHERE f.warehouse_id = b.warehouse_id AND f.sku_id = b.sku_id)
            """,
            [as_of, now],
        )
        cursor.execute("UPDATE inventory_skufacts SET as_of = %s, computed_at = %s", [as_of, now])


def recompute(as_of: date | None = None, *, log=None) -> list[StepTiming]:
    """Run every registered nightly step for `as_of` (default: today), each in a transaction."""
    as_of = as_of or timezone.localdate()
    timings = []
    total = len(hooks.nightly_steps)
    for number, (_order, name, step) in enumerate(hooks.nightly_steps, start=1):
        if log:  # progress before a step that may take minutes on a large catalogue
            log(f"[{number}/{total}] {name}…")
        started = time.perf_counter()
        with transaction.atomic():
            step(as_of)
        timings.append(StepTiming(name, time.perf_counter() - started))
        if log:
            log(f"[{number}/{total}] {name}: {timings[-1].seconds:.2f} s")
        logger.info("recompute %s step %s took %.2f s", as_of, name, timings[-1].seconds)
    return timings
