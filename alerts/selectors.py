"""Reads for replenishment pages, API, emails. Everything a user reaches is scoped to the
warehouses they belong to."""

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Exists, F, FilteredRelation, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncDate

from alerts.models import Alert, PlanningFigures
from inventory.models import SKU, SkuFacts, StockBalance, StockMovement, Warehouse
from inventory.roles import ROLE_CAPABILITIES, Capability
from inventory.selectors import in_warehouses_of, warehouses_for


def planning_rows(*, warehouse_ids=None, sku_ids=None, user=None) -> QuerySet[PlanningFigures]:
    """Planning figures with warehouse, SKU, supplier, and the facts' ABC class / slow mover.

    For `stock/` of the API: join on (warehouse, SKU) and read avg_daily_demand, demand_std,
    lead_time_days, safety_stock_units, reorder_point_units, status, days_of_cover,
    suggested_order_qty, ad_advice, computed_at. Pass `user` to scope to their warehouses.
    """
    # One join on (warehouse, SKU) rather than a subquery per row: filtering a 100k-row list
    # by ABC class then reads each facts row once.
    rows = PlanningFigures.objects.select_related("warehouse", "sku", "sku__supplier").annotate(
        here=FilteredRelation("sku__facts", condition=Q(sku__facts__warehouse=F("warehouse"))),
        abc_class=F("here__abc_class"),
        slow_mover=F("here__slow_mover"),
    )
    if user is not None:
        rows = rows.filter(in_warehouses_of(user))
    if warehouse_ids is not None:
        rows = rows.filter(warehouse_id__in=warehouse_ids)
    if sku_ids is not None:
        rows = rows.filter(sku_id__in=sku_ids)
    return rows


def _planning_of(user, *, with_facts: bool) -> QuerySet[PlanningFigures]:
    """The user's planning rows: with warehouse, SKU, supplier and the facts' figures joined,
    or alone (`with_facts=False`: sorted and counted without joins)."""
    if with_facts:
        return planning_rows(user=user)
    return PlanningFigures.objects.filter(in_warehouses_of(user))


def replenishment_rows(user, *, with_facts: bool = True) -> QuerySet[PlanningFigures]:
    """The replenishment list: most urgent first, then fewest days of cover.

    `with_facts=False` gives the planning rows alone, sorted and counted without joins (at
    100k rows the joins cost more than the rest of the page); the page adds the warehouse, the
    SKU with its supplier and the facts' ABC class and slow-mover flag to its own rows with
    `facts_by_pair`, and filters by ABC class with `abc_class_is`.
    """
    rows = _planning_of(user, with_facts=with_facts)
    # Ties in warehouse and SKU id order: the index holds it (codes would need a join and a
    # sort of the whole tie).
    return rows.order_by("urgency", "days_of_cover", "warehouse_id", "sku_id")


def abc_class_is(rows: QuerySet[PlanningFigures], abc_class: str) -> QuerySet[PlanningFigures]:
    """Planning rows whose (warehouse, SKU) has this ABC class (a semi-join on the facts)."""
    facts = SkuFacts.objects.filter(
        warehouse=OuterRef("warehouse"), sku=OuterRef("sku"), abc_class=abc_class
    )
    return rows.filter(Exists(facts))


def facts_by_pair(pairs) -> dict[tuple[int, int], SkuFacts]:
    """The facts of the given (warehouse_id, sku_id) pairs, each with its SKU and the SKU's
    supplier: one query."""
    pairs = set(pairs)
    if not pairs:
        return {}
    # Two IN lists, the pairs picked here: a page's SKUs in its few warehouses are a small
    # superset, and one OR'ed term a pair cost the ORM ~0.2 ms a row to build.
    rows = SkuFacts.objects.filter(
        warehouse_id__in={w for w, _s in pairs}, sku_id__in={s for _w, s in pairs}
    ).select_related("sku__supplier")
    return {key: f for f in rows if (key := (f.warehouse_id, f.sku_id)) in pairs}


def ad_advice_rows(user, *, with_facts: bool = True) -> QuerySet[PlanningFigures]:
    """Ad advice per SKU: PAUSE first, then REDUCE, PUSH, KEEP. `with_facts=False`: without
    the facts' ABC class and slow-mover flag (a join of every row), for sorting ids."""
    from django.db.models import Case, IntegerField, Value, When

    order = Case(
        When(ad_advice="PAUSE", then=Value(0)),
        When(ad_advice="REDUCE", then=Value(1)),
        When(ad_advice="PUSH", then=Value(2)),
        default=Value(3),
        output_field=IntegerField(),
    )
    return (
        _planning_of(user, with_facts=with_facts)
        .annotate(advice_order=order)
        .order_by("advice_order", "days_of_cover", "warehouse__code", "sku__seller_sku")
    )


def alerts_for(user) -> QuerySet[Alert]:
    """Alerts of the user's warehouses, open and most urgent first."""
    return (
        Alert.objects.filter(warehouse__in=warehouses_for(user))
        .select_related("warehouse", "sku", "acknowledged_by", "resolved_by")
        .order_by("-resolved_at", "urgency", "-opened_at")
    )


@dataclass(frozen=True)
class Recipient:
    user_id: int
    email: str
    language: str


def purchasers_by_warehouse(warehouse_ids) -> dict[int, list[Recipient]]:
    """Active users who may raise purchase orders (purchaser, manager, admin) and belong to
    the warehouse, with an email address; one query."""
    roles = [role for role, caps in ROLE_CAPABILITIES.items() if Capability.PURCHASE in caps]
    through = Warehouse.members.through
    rows = (
        through.objects.filter(warehouse_id__in=warehouse_ids, user__is_active=True)
        .exclude(user__email="")
        .filter(Q(user__groups__name__in=roles) | Q(user__is_superuser=True))
        .values_list("warehouse_id", "user_id", "user__email", "user__email_preference__language")
        .distinct()
        .order_by("warehouse_id", "user_id")
    )
    out: dict[int, list[Recipient]] = defaultdict(list)
    for warehouse_id, user_id, email, language in rows:
        out[warehouse_id].append(Recipient(user_id, email, language or settings.LANGUAGE_CODE))
    return dict(out)


def sku_chart(sku: SKU, user) -> list[dict]:
    """Per warehouse of the user holding the SKU: daily closing on-hand over the demand window,
    a straight-line projection at d per day until stock-out, and the SS and ROP lines.

    Queries: balances, planning rows, and one daily aggregate per warehouse.
    """
    days = settings.STOCKWISE["DEMAND_WINDOW_DAYS"]
    balances = list(
        StockBalance.objects.filter(sku=sku, warehouse__in=warehouses_for(user))
        .select_related("warehouse")
        .order_by("warehouse__code")
    )
    figures = {
        p.warehouse_id: p
        for p in PlanningFigures.objects.filter(
            sku=sku, warehouse__in=[b.warehouse for b in balances]
        )
    }
    charts = []
    for balance in balances:
        warehouse = balance.warehouse
        tz = ZoneInfo(warehouse.timezone)
        today = datetime.now(tz).date()
        first = today - timedelta(days=days - 1)
        start = datetime.combine(first, time.min, tz)
        net = dict(
            StockMovement.objects.filter(sku=sku, warehouse=warehouse, occurred_at__gte=start)
            .annotate(day=TruncDate("occurred_at", tzinfo=tz))
            .values("day")
            .annotate(total=Sum("quantity"))
            .values_list("day", "total")
        )
        closing = balance.on_hand - sum(net.values())
        history = []
        for n in range(days):
            day = first + timedelta(days=n)
            closing += net.get(day, 0)
            history.append({"x": day.isoformat(), "y": closing})
        row = figures.get(warehouse.pk)
        charts.append(
            {
                "warehouse": warehouse.code,
                "history": history,
                "projection": _projection(today, balance.on_hand, row),
                "safety_stock": row.safety_stock_units if row else None,
                "reorder_point": row.reorder_point_units if row else None,
                "status": row.status if row else None,
                "days_of_cover": row.days_of_cover if row else None,
            }
        )
    return charts


def _projection(today: date, on_hand: int, row: PlanningFigures | None) -> list[dict]:
    """On hand falling by d per day from today to zero (capped at the overstock horizon)."""
    if row is None or row.avg_daily_demand <= 0 or on_hand <= 0:
        return []
    horizon = settings.STOCKWISE["OVERSTOCK_DAYS"]
    days = min(math.ceil(on_hand / row.avg_daily_demand), horizon)
    return [
        {
            "x": (today + timedelta(days=n)).isoformat(),
            "y": round(max(0.0, on_hand - row.avg_daily_demand * n), 1),
        }
        for n in range(days + 1)
    ]
