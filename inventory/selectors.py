"""Reads. Every query a user can reach is scoped to the warehouses they belong to."""

from dataclasses import dataclass
from functools import lru_cache

from django.db import connection
from django.db.models import IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from inventory.ages import oldest_unit_age
from inventory.models import SKU, StockBalance, StockMovement, Warehouse


def warehouses_for(user) -> QuerySet[Warehouse]:
    """The warehouses a user belongs to: the only ones they may see."""
    if not user.is_authenticated:
        return Warehouse.objects.none()
    return Warehouse.objects.filter(members=user)


def in_warehouses_of(user) -> Q:
    """Rows of the user's warehouses, as a condition on `warehouse_id`: the warehouses' ids
    as one array on PostgreSQL (`__any_of`: planned by its values, not as a join guessed at one
    membership row)."""
    return Q(warehouse_id__any_of=warehouses_for(user).values("pk"))


def posting_targets(
    user, warehouse_codes: set[str], seller_skus: set[str]
) -> tuple[dict[str, Warehouse], dict[str, SKU]]:
    """The user's warehouses and the SKUs a movement request names, by code and by seller SKU
    (a code of a warehouse the user is not a member of, or an unknown SKU, is simply absent).

    Raw SQL over the models' own columns, built once per number of names: on a single movement
    POST, compiling these two lookups through the ORM cost more CPU than the posting's own
    statements.
    """
    warehouses, skus = {}, {}
    if (
        connection.vendor == "postgresql"
        and warehouse_codes
        and seller_skus
        and user.is_authenticated
    ):
        return _posting_targets_pg(user, warehouse_codes, seller_skus)
    # `raw` applies the backends' converters (SQLite answers decimals as numbers).
    if warehouse_codes and user.is_authenticated:
        sql = _member_warehouses_sql(len(warehouse_codes))
        for warehouse in Warehouse.objects.raw(sql, [user.pk, *warehouse_codes]):
            warehouses[warehouse.code] = warehouse
    if seller_skus:
        for sku in SKU.objects.raw(_skus_sql(len(seller_skus)), list(seller_skus)):
            skus[sku.seller_sku] = sku
    return warehouses, skus


def _posting_targets_pg(user, warehouse_codes, seller_skus):
    """Both lookups in one round trip (two statements, client-side binding; psycopg returns
    what the models expect, so no converters are needed)."""
    warehouses, skus = {}, {}
    sql = f"{_member_warehouses_sql(len(warehouse_codes))}; {_skus_sql(len(seller_skus))}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [user.pk, *warehouse_codes, *seller_skus])
        for row in cursor.fetchall():
            warehouse = Warehouse.from_db("default", _attnames(Warehouse), row)
            warehouses[warehouse.code] = warehouse
        cursor.nextset()
        for row in cursor.fetchall():
            sku = SKU.from_db("default", _attnames(SKU), row)
            skus[sku.seller_sku] = sku
    return warehouses, skus


@lru_cache(maxsize=4)
def _attnames(model) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields]


def _columns(model) -> str:
    return ", ".join(f't."{f.column}"' for f in model._meta.concrete_fields)


@lru_cache(maxsize=64)  # one per number of codes
def _member_warehouses_sql(n: int) -> str:
    columns = _columns(Warehouse)
    through = Warehouse.members.through._meta
    warehouse_column = Warehouse.members.field.m2m_column_name()
    user_column = Warehouse.members.field.m2m_reverse_name()
    return (
        f'SELECT {columns} FROM "{Warehouse._meta.db_table}" t '  # noqa: S608 - model names
        f'JOIN "{through.db_table}" m ON m."{warehouse_column}" = t."id" '
        f'WHERE m."{user_column}" = %s AND t."code" IN ({", ".join(["%s"] * n)})'
    )


@lru_cache(maxsize=64)
def _skus_sql(n: int) -> str:
    placeholders = ", ".join(["%s"] * n)
    return (
        f'SELECT {_columns(SKU)} FROM "{SKU._meta.db_table}" t '  # noqa: S608 - model names
        f'WHERE t."seller_sku" IN ({placeholders})'
    )


def ledger_has_movements(warehouses) -> bool:
    """Has anything been posted in these warehouses? (The dashboard's getting-started guide.)"""
    return StockMovement.objects.filter(warehouse__in=warehouses).exists()


def warehouse_for_user(user, code: str) -> Warehouse:
    """A warehouse by code, or 404 when the user is not a member."""
    return get_object_or_404(warehouses_for(user), code=code)


def with_on_hand(skus: QuerySet[SKU], user) -> QuerySet[SKU]:
    """Annotate `on_hand`: the SKU's stock summed over the user's warehouses (0 when none)."""
    on_hand = (
        StockBalance.objects.filter(sku=OuterRef("pk"), warehouse__members=user)
        .values("sku")
        .annotate(total=Sum("on_hand"))
        .values("total")
    )
    return skus.annotate(on_hand=Coalesce(Subquery(on_hand, output_field=IntegerField()), Value(0)))


def with_on_hand_sortable(skus: QuerySet[SKU], user) -> QuerySet[SKU]:
    """`on_hand` as one join and GROUP BY over the balances, for sorting or filtering all
    SKUs by it: a correlated subquery per SKU cost 0.8 s at 100k SKUs, the join ~0.1 s."""
    mine = Q(balances__warehouse__in=warehouses_for(user).values("pk"))
    return skus.annotate(on_hand=Coalesce(Sum("balances__on_hand", filter=mine), Value(0)))


def sku_balances(sku: SKU, user) -> QuerySet[StockBalance]:
    """The SKU's balance in each of the user's warehouses."""
    return (
        StockBalance.objects.filter(sku=sku, warehouse__members=user)
        .select_related("warehouse")
        .order_by("warehouse__code")
    )


def movements_for(user) -> QuerySet[StockMovement]:
    """The ledger rows of the user's warehouses, newest first."""
    # IN (the user's warehouses), not a join through the members: PostgreSQL then reads the
    # newest rows off the time index and stops after a page.
    return StockMovement.objects.filter(warehouse__in=warehouses_for(user)).select_related(
        "warehouse", "sku", "user"
    )


def movement_for_user(user, pk: int) -> StockMovement:
    return get_object_or_404(movements_for(user), pk=pk)


def on_hand(*, warehouse: Warehouse, sku: SKU) -> int:
    """Current on-hand from the balance cache (0 when the SKU never moved there)."""
    row = StockBalance.objects.filter(warehouse=warehouse, sku=sku).values("on_hand").first()
    return row["on_hand"] if row else 0


@dataclass(frozen=True)
class LedgerMismatch:
    warehouse_code: str
    seller_sku: str
    balance: int | None
    ledger_sum: int | None


_MISMATCH_SQL = """
WITH ledger AS (
    SELECT warehouse_id, sku_id, SUM(quantity) AS total
    FROM inventory_stockmovement GROUP BY warehouse_id, sku_id
)
SELECT w.code, s.seller_sku, b.on_hand, l.total
FROM inventory_stockbalance b
FULL OUTER JOIN ledger l ON l.warehouse_id = b.warehouse_id AND l.sku_id = b.sku_id
JOIN inventory_warehouse w ON w.id = COALESCE(b.warehouse_id, l.warehouse_id)
JOIN inventory_sku s ON s.id = COALESCE(b.sku_id, l.sku_id)
WHERE COALESCE(b.on_hand, 0) <> COALESCE(l.total, 0)
ORDER BY w.code, s.seller_sku
"""


def ledger_mismatches() -> list[LedgerMismatch]:
    """Every (warehouse, SKU) whose cached balance differs from the sum of its movements.

    One set-based query (a GROUP BY over the ledger), so it runs nightly at 10M movements.
    """
    with connection.cursor() as cursor:
        cursor.execute(_MISMATCH_SQL)
        return [LedgerMismatch(*row) for row in cursor.fetchall()]


def on_order_by_key(*, warehouse_ids=None, sku_ids=None) -> dict[tuple[int, int], int]:
    """Open purchase-order quantity per (warehouse_id, sku_id): ordered minus received, on
    orders that are sent or partly received (DOMAIN.md: on order)."""
    from django.db.models import F

    from inventory.models import OPEN_PO_STATUSES, PurchaseOrderLine

    lines = PurchaseOrderLine.objects.filter(purchase_order__status__in=OPEN_PO_STATUSES)
    if warehouse_ids is not None:
        lines = lines.filter(purchase_order__warehouse_id__in=warehouse_ids)
    if sku_ids is not None:
        lines = lines.filter(sku_id__in=sku_ids)
    rows = (
        lines.values("purchase_order__warehouse_id", "sku_id")
        .annotate(open=Sum(F("quantity") - F("received_quantity")))
        .values_list("purchase_order__warehouse_id", "sku_id", "open")
    )
    return {(w, s): int(q) for w, s, q in rows if q}


def import_jobs_for(user) -> QuerySet:
    """Import jobs of the user's warehouses, newest first."""
    from inventory.models import ImportJob

    return ImportJob.objects.filter(warehouse__members=user).select_related("warehouse", "user")


def import_job_for_user(user, pk: int):
    """One import job, or 404 when it belongs to a warehouse the user is not in."""
    return get_object_or_404(import_jobs_for(user), pk=pk)


def stock_balance_ids_for(user) -> QuerySet[StockBalance]:
    """The user's balances as ids: the stock list counts and pages these, then reads the
    page's rows with `stock_rows_for`."""
    return StockBalance.objects.filter(warehouse__in=warehouses_for(user)).only("pk")


def stock_rows_for(user) -> QuerySet[StockBalance]:
    """One row per (warehouse, SKU) of the user's warehouses: live on_hand, on_order (open PO
    quantity), lead time L (SKU else supplier, procurement + logistics days) and the facts of
    the last recompute. One query for any page size (a subquery and a filtered join)."""
    from django.db.models import F, FilteredRelation, Q

    from inventory.models import OPEN_PO_STATUSES, PurchaseOrderLine

    on_order = (
        PurchaseOrderLine.objects.filter(
            purchase_order__status__in=OPEN_PO_STATUSES,
            purchase_order__warehouse_id=OuterRef("warehouse_id"),
            sku_id=OuterRef("sku_id"),
        )
        .values("sku_id")
        .annotate(open=Sum(F("quantity") - F("received_quantity")))
        .values("open")
    )
    procurement = Coalesce(
        "sku__lead_time_days", "sku__supplier__lead_time_days", output_field=IntegerField()
    )
    logistics = Coalesce(
        "sku__logistics_days",
        "sku__supplier__logistics_days",
        Value(0),
        output_field=IntegerField(),
    )
    rows = (
        StockBalance.objects.filter(warehouse__in=warehouses_for(user))
        .select_related("warehouse", "sku")
        .annotate(
            on_order=Coalesce(Subquery(on_order, output_field=IntegerField()), Value(0)),
            lead_time_days=procurement + logistics,
            here=FilteredRelation("sku__facts", condition=Q(sku__facts__warehouse=F("warehouse"))),
            avg_daily_demand=F("here__avg_daily_demand"),
            demand_std=F("here__demand_std"),
            abc_class=F("here__abc_class"),
            oldest_unit_age_days=oldest_unit_age("here__oldest_unit_date"),
            slow_mover=F("here__slow_mover"),
            computed_at=F("here__computed_at"),
        )
        .order_by("warehouse__code", "sku__seller_sku")
    )
    from inventory import hooks

    for annotate in hooks.stock_row_annotators:
        rows = annotate(rows)
    return rows
