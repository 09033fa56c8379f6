"""Reads of the clearance workflow, scoped to the user's warehouses (another's answers 404)."""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone

from clearance.models import (
    OPEN_BATCH_STATUSES,
    BatchStatus,
    ClearanceBatch,
    ClearanceLine,
    LineDecision,
    Strategy,
)
from inventory.ages import oldest_unit_age
from inventory.models import MovementKind, SkuFacts, StockBalance, StockMovement

_CENT = Decimal("0.01")


# --- slow movers and the "at risk" list --------------------------------------------------------


def _facts_for(user) -> QuerySet[SkuFacts]:
    balance = StockBalance.objects.filter(
        warehouse=OuterRef("warehouse"), sku=OuterRef("sku")
    ).values("on_hand")
    in_open_batch = ClearanceLine.objects.filter(
        batch__warehouse=OuterRef("warehouse"),
        sku=OuterRef("sku"),
        batch__status__in=OPEN_BATCH_STATUSES,
    )
    return (
        SkuFacts.objects.filter(warehouse__members=user)
        .select_related("warehouse", "sku", "sku__category")
        .annotate(on_hand=Coalesce(Subquery(balance, output_field=IntegerField()), Value(0)))
        .annotate(
            value=ExpressionWrapper(
                F("on_hand") * F("sku__unit_cost"),
                output_field=DecimalField(max_digits=20, decimal_places=4),
            ),
            in_open_batch=Exists(in_open_batch),
            oldest_unit_age_days=oldest_unit_age(),
        )
    )


def slow_movers_for(user) -> QuerySet[SkuFacts]:
    """Slow movers of the user's warehouses (flag as of the last recompute, stock live)."""
    return (
        _facts_for(user)
        .filter(slow_mover=True, on_hand__gt=0)
        .order_by("warehouse__code", "-oldest_unit_age_days", "sku__seller_sku")
    )


def at_risk_for(user) -> QuerySet[SkuFacts]:
    """Not (yet) slow movers whose stock lasts more than AT_RISK_DAYS at the average daily
    demand d̄ (no demand at all counts as never selling out)."""
    days = settings.STOCKWISE["AT_RISK_DAYS"]
    return (
        _facts_for(user)
        .filter(slow_mover=False, on_hand__gt=0)
        .filter(on_hand__gt=F("avg_daily_demand") * days)
        .annotate(
            days_to_sell=Case(
                When(
                    avg_daily_demand__gt=0,
                    then=ExpressionWrapper(
                        F("on_hand") * 1.0 / F("avg_daily_demand"), output_field=FloatField()
                    ),
                ),
                default=None,
                output_field=FloatField(),
            )
        )
        .order_by("warehouse__code", F("days_to_sell").desc(nulls_first=True), "sku__seller_sku")
    )


# --- batches --------------------------------------------------------------------------------


def batches_for(user) -> QuerySet[ClearanceBatch]:
    """The batches of the user's warehouses, newest first, with line count, units, capital."""
    return (
        ClearanceBatch.objects.filter(warehouse__members=user)
        .select_related("warehouse", "proposed_by", "decided_by", "closed_by")
        .annotate(
            line_count=Count("lines"),
            total_units=Coalesce(Sum("lines__units"), Value(0)),
            total_capital=Coalesce(
                Sum("lines__capital"), Value(Decimal("0")), output_field=DecimalField()
            ),
        )
        .order_by("-created_at", "-id")
    )


def batch_for_user(user, pk: int) -> ClearanceBatch:
    """One batch of the user's warehouses, or 404."""
    return get_object_or_404(batches_for(user), pk=pk)


@dataclass
class Progress:
    """How much of a line (or a batch) has been cleared since its approval."""

    quantity: int = 0
    units_cleared: int = 0
    capital: Decimal = Decimal("0")
    capital_recovered: Decimal = Decimal("0")

    @property
    def percent(self) -> int:
        return round(100 * self.units_cleared / self.quantity) if self.quantity else 0

    def add(self, other: "Progress") -> None:
        self.quantity += other.quantity
        self.units_cleared += other.units_cleared
        self.capital += other.capital
        self.capital_recovered += other.capital_recovered


def _units_moved(kind: str, now):
    """Units of `kind` that left the line's SKU in the batch's warehouse between approval and
    closing (or now): a correlated subquery, so progress costs one query for many lines."""
    moved = (
        StockMovement.objects.filter(
            warehouse_id=OuterRef("batch__warehouse_id"),
            sku_id=OuterRef("sku_id"),
            kind=kind,
            occurred_at__gte=OuterRef("batch__decided_at"),
            occurred_at__lte=Coalesce(
                OuterRef("batch__closed_at"), Value(now, output_field=DateTimeField())
            ),
        )
        .order_by()
        .values("sku_id")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    return Coalesce(Subquery(moved, output_field=IntegerField()), Value(0)) * -1


def lines_with_progress(batch_ids: list[int]) -> QuerySet[ClearanceLine]:
    """Lines of these batches with units sold / cleared out / written off since approval and
    the live on-hand; `line_progress` turns them into capped figures."""
    now = timezone.now()
    balance = StockBalance.objects.filter(
        warehouse=OuterRef("batch__warehouse"), sku=OuterRef("sku")
    ).values("on_hand")
    return (
        ClearanceLine.objects.filter(batch_id__in=batch_ids)
        .select_related("batch", "sku", "sku__category", "bundle_with", "movement")
        .select_related("decided_by", "done_by")
        .annotate(
            sold_since=_units_moved(MovementKind.SALE, now),
            cleared_out_since=_units_moved(MovementKind.CLEARANCE_OUT, now),
            written_off_since=_units_moved(MovementKind.WRITE_OFF, now),
            on_hand=Coalesce(Subquery(balance, output_field=IntegerField()), Value(0)),
        )
    )


def line_progress(line: ClearanceLine) -> Progress:
    """Units cleared = sales + clearance-out + write-off units since approval, capped at the
    line's quantity. Capital recovered = the units that went out for money (sales and channel
    transfers, not write-offs), capped the same way, times the unit cost at proposal."""
    capital = (line.quantity * line.unit_cost).quantize(_CENT)
    counted = line.decision == LineDecision.APPROVED and line.batch.status in (
        BatchStatus.APPROVED,
        BatchStatus.CLOSED,
    )
    if not counted:
        return Progress(quantity=0, capital=Decimal("0"))
    sold_or_moved = max(0, line.sold_since) + max(0, line.cleared_out_since)
    cleared = min(line.quantity, sold_or_moved + max(0, line.written_off_since))
    recovered_units = min(line.quantity, sold_or_moved)
    return Progress(
        quantity=line.quantity,
        units_cleared=cleared,
        capital=capital,
        capital_recovered=(recovered_units * line.unit_cost).quantize(_CENT),
    )


def batch_lines(batch: ClearanceBatch) -> list[ClearanceLine]:
    """The batch's lines, each with `.progress`, in one query."""
    lines = list(lines_with_progress([batch.pk]))
    for line in lines:
        line.progress = line_progress(line)
    return lines


def batches_progress(batch_ids: list[int]) -> dict[int, Progress]:
    """Progress per batch (sum of its approved lines), in one query."""
    totals = {pk: Progress() for pk in batch_ids}
    for line in lines_with_progress(batch_ids):
        totals[line.batch_id].add(line_progress(line))
    return totals


def promotion_lines(batch: ClearanceBatch) -> QuerySet[ClearanceLine]:
    """Approved PROMOTION lines of an approved or closed batch, for the seller's price file."""
    if batch.status not in (BatchStatus.APPROVED, BatchStatus.CLOSED):
        return ClearanceLine.objects.none()
    return (
        batch.lines.filter(decision=LineDecision.APPROVED, strategy=Strategy.PROMOTION)
        .select_related("sku")
        .order_by("sku__seller_sku")
    )
