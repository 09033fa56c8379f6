"""Demand facts per (warehouse, SKU) as of a day D (DOMAIN.md "Demand"), set-based.

- q_t = SALE units - RETURN units on local day t, floored at 0.
- A day is available when the previous day closed with stock > 0 or q_t > 0; d̄ and σ_d (n − 1)
  over the available days.

The nightly step reads the daily rollup (`DailyStock`, kept by the posting service), never the
ledger, and slides the window's running state by the days that left and entered it
(`inventory.window`): sparse, as PERFORMANCE-NOTES.md advises (one row per SKU and movement day,
the closing stock carried over the days in between, never a dense SKU x day grid). With no
state, a jump of a whole window or `recompute --full`, it rebuilds every pair from the rollup.
"""

from datetime import date

from django.db.models import QuerySet

from inventory.models import SkuFacts
from inventory.night_runner import side_line_active
from inventory.window import window_update, window_write


def demand_facts_update(as_of: date, *, rebuild: bool = False) -> str:
    """Nightly step: write d̄, σ_d, available days and sales of the window ending on `as_of`.

    Movements after the end of `as_of` are ignored. SkuFacts rows must exist (step 0 makes
    them). Returns "incremental" (slid from the last run) or "rebuild". When the night has a
    second connection, a slide only computes here and `demand_facts_write` writes there, while
    planning reads the new d̄ and σ_d from this connection (inventory/night_runner.py).
    """
    return window_update(as_of, rebuild=rebuild, defer_write=side_line_active())


def demand_facts_write(as_of: date) -> bool:
    """Nightly step after `demand_facts_update`: the write it left, if it left one."""
    return window_write(as_of)


def demand_facts(*, warehouse_ids=None, sku_ids=None) -> QuerySet[SkuFacts]:
    """The demand facts (d, sigma_d, available days, units sold) as of the last recompute.

    Not scoped to a user: callers (planning, pages through their own scoped selectors) filter.
    """
    rows = SkuFacts.objects.select_related("warehouse", "sku").only(
        "warehouse__code",
        "warehouse__timezone",
        "sku__seller_sku",
        "as_of",
        "avg_daily_demand",
        "demand_std",
        "available_days",
        "units_sold_window",
        "max_daily_sales_recent",
        "computed_at",
    )
    if warehouse_ids is not None:
        rows = rows.filter(warehouse_id__in=warehouse_ids)
    if sku_ids is not None:
        rows = rows.filter(sku_id__in=sku_ids)
    return rows.order_by("warehouse__code", "sku__seller_sku")
