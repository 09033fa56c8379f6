"""Reads of the clearance workflow, scoped to the user's warehouses (another's answers 404)."""

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    FilteredRelation,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Round
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.functional import cached_property

from clearance.models import (
    OPEN_BATCH_STATUSES,
    BatchStatus,
    ClearanceBatch,
    ClearanceLine,
    LineDecision,
    Strategy,
)
from inventory.ageing import BUCKET_KEYS, BucketTotals
from inventory.ages import oldest_unit_age
from inventory.models import (
    SKU,
    FactsState,
    MovementKind,
    SkuFacts,
    StockBalance,
    StockMovement,
)
from inventory.selectors import warehouses_for
from inventory.soft_cache import soft_get_or_compute

_CENT = Decimal("0.01")
# Chart totals of the ageing snapshot are cached per nightly run; a day is the longest a run lasts.
SNAPSHOT_CACHE_SECONDS = 24 * 3600


# --- slow movers and the "at risk" list --------------------------------------------------------


def _facts_for(user, *, open_batch: bool = True) -> QuerySet[SkuFacts]:
    """The facts of the user's pairs with live on hand, its value and the oldest unit's age;
    `open_batch=False` leaves out whether a pair is in an open clearance batch (a subquery a
    row, for the 50 shown rows only when the list is not sorted by it)."""
    in_open_batch = ClearanceLine.objects.filter(
        batch__warehouse=OuterRef("warehouse"),
        sku=OuterRef("sku"),
        batch__status__in=OPEN_BATCH_STATUSES,
    )
    # The pair's live balance as one join (not a subquery per facts row: the at-risk list
    # filters and sorts 100k pairs by it, 1.4 s that way at 100k SKUs).
    balance = FilteredRelation(
        "sku__balances", condition=Q(sku__balances__warehouse=F("warehouse"))
    )
    rows = (
        SkuFacts.objects.filter(warehouse__in=warehouses_for(user))
        .select_related("warehouse", "sku", "sku__category")
        .annotate(balance=balance)
        .annotate(on_hand=Coalesce(F("balance__on_hand"), Value(0)))
        .annotate(
            value=ExpressionWrapper(
                F("on_hand") * F("sku__unit_cost"),
                output_field=DecimalField(max_digits=20, decimal_places=4),
            ),
            oldest_unit_age_days=oldest_unit_age(),
        )
    )
    return rows.annotate(in_open_batch=Exists(in_open_batch)) if open_batch else rows


def slow_movers_for(user, *, open_batch: bool = True) -> QuerySet[SkuFacts]:
    """Slow movers of the user's warehouses (flag as of the last recompute, stock live)."""
    return (
        _facts_for(user, open_batch=open_batch)
        .filter(slow_mover=True, on_hand__gt=0)
        .order_by("warehouse__code", "-oldest_unit_age_days", "sku__seller_sku")
    )


def at_risk_for(user, *, open_batch: bool = True) -> QuerySet[SkuFacts]:
    """Not (yet) slow movers whose stock lasts more than AT_RISK_DAYS at the average daily
    demand d̄ (no demand at all counts as never selling out)."""
    days = settings.STOCKWISE["AT_RISK_DAYS"]
    return (
        _facts_for(user, open_batch=open_batch)
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


# --- the ageing report from the nightly snapshot -----------------------------------------------


def ageing_snapshot_state() -> tuple[date, datetime] | None:
    """The day the nightly age profiles are as of and when that run started (None before the
    first run): what the report shows, and the key of everything cached about it."""
    state = FactsState.objects.filter(pk=1).values_list("as_of", "run_started_at").first()
    return state if state and state[0] is not None else None


def ageing_snapshot_pairs(
    warehouse_ids: list[int], *, category=None, search: str = ""
) -> QuerySet[SkuFacts]:
    """The snapshot's pairs in stock that the filters keep (a search reads the matching SKUs
    now), for `ageing_snapshot_rows` and `ageing_snapshot_keys`. Callers pass only warehouses
    the user belongs to, as ids (so PostgreSQL walks the index on the oldest unit's day for the
    default order instead of sorting every pair in stock). A pair in stock has an oldest unit
    (the ageing step sets both); saying so lets PostgreSQL walk the index on that day, which is
    kept only for such rows."""
    rows = SkuFacts.objects.filter(
        warehouse_id__in=warehouse_ids, window_closing__gt=0, oldest_unit_date__isnull=False
    )
    if category is not None:
        rows = rows.filter(sku__category=category)
    if search:
        rows = rows.filter(_search_condition(search))
    return rows


def _snapshot_columns() -> dict:
    """The report's computed columns, by the names the ledger-computed report uses."""
    money = DecimalField(max_digits=20, decimal_places=2)
    # Rounded per bucket, half up, as AgeingRow does; the total is the sum of the buckets.
    values = {
        f"value_{key}": Cast(Round(F(f"units_{key}") * F("sku__unit_cost"), precision=2), money)
        for key in BUCKET_KEYS
    }
    return {
        "warehouse_code": F("warehouse__code"),
        "seller_sku": F("sku__seller_sku"),
        "name": F("sku__name"),
        "category": Coalesce(F("sku__category__name"), Value("")),
        "on_hand": F("window_closing"),
        "oldest_unit_age_days": oldest_unit_age(),
        **values,
        "value": Cast(sum((F(name) for name in values), Value(0)), money),
    }


def ageing_snapshot_rows(pairs: QuerySet[SkuFacts]) -> QuerySet[SkuFacts]:
    """Per pair of `ageing_snapshot_pairs`, with stock at the end of the snapshot day: units per
    age bucket (kept by the nightly ageing step), their value at the SKU's unit cost, and the
    oldest unit's age, with the names the ledger-computed report uses
    (inventory.ageing.AgeingRow.as_dict). Paginated and sorted in SQL, unlike the ledger
    computation."""
    # Only the columns the report reads: the facts rows are wide, and sorting them spilled to disk.
    return pairs.only(
        "id",
        "warehouse_id",
        "sku_id",
        "window_closing",
        "oldest_unit_date",
        *(f"units_{key}" for key in BUCKET_KEYS),
    ).annotate(**_snapshot_columns())


def ageing_snapshot_keys(
    pairs: QuerySet[SkuFacts], sorted_by: set[str] = frozenset()
) -> QuerySet[SkuFacts]:
    """The pairs of `ageing_snapshot_pairs` as ids with only the computed columns named in
    `sorted_by`: what a page sorts and cuts before its rows are read (`page_rows_by_key`).
    Sorted with every computed column, PostgreSQL could not sort before joining: by units over
    180 days at 100k pairs it sorted 73k wide rows (47-54 ms, spilling to disk), or joined and
    computed all 73k rows first (213 ms) where a parallel plan was not taken."""
    columns = _snapshot_columns()
    if "value" in sorted_by:
        sorted_by = sorted_by | {name for name in columns if name.startswith("value_")}
    wanted = {name: expr for name, expr in columns.items() if name in sorted_by}
    return pairs.only("pk").annotate(**wanted)


# A search matching at most this many SKUs is passed to the rows' query as a list of ids.
SEARCH_IDS_MAX = 2000


def _search_condition(search: str) -> Q:
    """The pairs whose SKU a search matches: the SKUs' ids as one array when there are few (the
    trigram indexes find them), else as a subquery.

    Joined as a condition instead, PostgreSQL walks the index on the oldest unit's day and
    probes the SKU of every pair in stock until it has a page: matches are not spread evenly
    over that order (SW-000… are the oldest SKUs), so a 100-row page of a search matching 1 %
    probed 60k SKUs (140 ms at 100k pairs). A list of ids is estimated exactly: the few pairs
    are fetched and sorted (a few ms). A broad search finds a page early in the walk."""
    matching = SKU.objects.filter(
        Q(seller_sku__icontains=search) | Q(name__icontains=search)
    ).values_list("id", flat=True)
    few = list(matching[: SEARCH_IDS_MAX + 1])
    if len(few) <= SEARCH_IDS_MAX:
        # One array parameter, not 2,000 (the query 8.9 -> 2.6 ms for 999 ids at 100k pairs).
        return Q(sku_id__any_of=few)
    # Not `__any_of` here: the array of a broad search's 100k ids cost 104 ms, the semi-join 1.4.
    return Q(sku_id__in=matching)


@dataclass(frozen=True)
class AgeingSummary:
    count: int
    by_warehouse: list[BucketTotals]
    by_category: list[BucketTotals]


def ageing_snapshot_summary(rows: QuerySet[SkuFacts], state) -> AgeingSummary:
    """How many rows the filtered snapshot has and its units and value per age bucket summed
    per warehouse and per category (the charts): one grouped query, cached until the next
    nightly run (the units change only then; `state` in the key means a new run is never
    served an old summary). Values are at the unit cost when first computed that night."""
    try:
        key = _summary_key(rows, state)
    except EmptyResultSet:  # a search that matched no SKU: nothing to read
        return AgeingSummary(count=0, by_warehouse=[], by_category=[])
    return soft_get_or_compute(
        key, lambda: _summarise(rows), SNAPSHOT_CACHE_SECONDS, keep=lambda _summary: True
    )


def _summary_key(rows: QuerySet, state) -> str:
    digest = hashlib.sha256(f"{state}|{rows.order_by().query}".encode()).hexdigest()
    return f"ageing-summary:{digest}"


def _summarise(rows: QuerySet[SkuFacts]) -> AgeingSummary:
    sums = {f"u_{key}": Sum(f"units_{key}") for key in BUCKET_KEYS}
    sums |= {f"v_{key}": Sum(f"value_{key}") for key in BUCKET_KEYS}
    groups = (
        rows.order_by()
        .values("warehouse__code", "sku__category__name")
        .annotate(rows=Count("id"), **sums)
    )
    count = 0
    units: dict[tuple[str, str], dict[str, int]] = {}
    values: dict[tuple[str, str], dict[str, Decimal]] = {}
    for group in groups:
        count += group["rows"]
        for by, label in (
            ("warehouse", group["warehouse__code"]),
            ("category", group["sku__category__name"] or ""),
        ):
            u = units.setdefault((by, label), dict.fromkeys(BUCKET_KEYS, 0))
            v = values.setdefault((by, label), dict.fromkeys(BUCKET_KEYS, Decimal("0")))
            for key in BUCKET_KEYS:
                u[key] += group[f"u_{key}"] or 0
                v[key] += Decimal(group[f"v_{key}"] or 0).quantize(_CENT)

    def totals(by: str) -> list[BucketTotals]:
        labels = sorted(label for kind, label in units if kind == by)
        return [BucketTotals(label, units[by, label], values[by, label]) for label in labels]

    return AgeingSummary(count, totals("warehouse"), totals("category"))


class SnapshotPaginator(Paginator):
    """A paginator told the row count (from the cached summary) instead of counting."""

    def __init__(self, *args, count: int, **kwargs):
        super().__init__(*args, **kwargs)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        return self._known_count
