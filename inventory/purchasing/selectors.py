"""Purchase-order reads, scoped to the user's warehouses."""

import math
from dataclasses import dataclass

from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    Prefetch,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from inventory.models import PurchaseOrder, PurchaseOrderLine
from inventory.selectors import warehouses_for


def purchase_orders_for(user) -> QuerySet[PurchaseOrder]:
    """The purchase orders of the user's warehouses with their totals, one query per page."""
    value = ExpressionWrapper(
        F("lines__quantity") * Coalesce(F("lines__unit_cost"), Value(0)),
        output_field=DecimalField(max_digits=20, decimal_places=4),
    )
    return (
        PurchaseOrder.objects.filter(warehouse__in=warehouses_for(user))
        .select_related("warehouse", "supplier", "created_by")
        .annotate(
            line_count=Count("lines"),
            ordered_units=Coalesce(Sum("lines__quantity"), 0, output_field=IntegerField()),
            received_units=Coalesce(
                Sum("lines__received_quantity"), 0, output_field=IntegerField()
            ),
            total_value=Sum(value),
        )
        .annotate(open_units=F("ordered_units") - F("received_units"))
        .order_by("-created_at", "-id")
    )


def purchase_order_lines() -> QuerySet[PurchaseOrderLine]:
    """Lines with their SKU, in entry order."""
    return PurchaseOrderLine.objects.select_related("sku").order_by("pk")


def purchase_orders_with_lines(user) -> QuerySet[PurchaseOrder]:
    """Scoped orders with their lines prefetched (two queries for any number of orders)."""
    return purchase_orders_for(user).prefetch_related(
        Prefetch("lines", queryset=purchase_order_lines())
    )


def purchase_order_for_user(user, number: str) -> PurchaseOrder:
    """One order by number with its lines, or 404 when it belongs to another warehouse."""
    return get_object_or_404(purchase_orders_with_lines(user), number=number)


@dataclass(frozen=True)
class LeadTimeStats:
    sku_id: int
    supplier_id: int
    receipts: int
    mean_days: float
    std_days: float | None


def actual_lead_times(*, sku_ids=None, supplier_ids=None) -> list[LeadTimeStats]:
    """Observed lead times per (SKU, supplier): receipts, mean and sample std (n − 1) in days.

    One row per pair with at least one received line; `std_days` is None below two receipts.
    Input for learning σ_L from purchase orders (DOMAIN.md "Safety stock"). One grouped query;
    the square root is taken per row here because SQLite's STDDEV_SAMP fails on one value.
    """
    lines = PurchaseOrderLine.objects.filter(actual_lead_time_days__isnull=False)
    if sku_ids is not None:
        lines = lines.filter(sku_id__in=sku_ids)
    if supplier_ids is not None:
        lines = lines.filter(purchase_order__supplier_id__in=supplier_ids)
    days = F("actual_lead_time_days")
    rows = (
        lines.values("sku_id", supplier=F("purchase_order__supplier_id"))
        .annotate(n=Count("pk"), total=Sum(days), squares=Sum(days * days))
        .order_by("sku_id", "supplier")
        .values_list("sku_id", "supplier", "n", "total", "squares")
    )
    result = []
    for sku_id, supplier_id, n, total, squares in rows:
        mean = total / n
        std = None
        if n >= 2:
            std = math.sqrt(max(0.0, (squares - n * mean * mean) / (n - 1)))
        result.append(LeadTimeStats(sku_id, supplier_id, n, mean, std))
    return result
