"""Reads for counting. Every query a user can reach is scoped to the warehouses they belong to.

Nothing here returns an expected quantity to a page or API a counter sees: the views that show
expected quantities (review, history) ask for Capability.APPROVE first.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import (
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.shortcuts import get_object_or_404

from counting.models import (
    OPEN_STATUSES,
    CountEntry,
    CountLine,
    CountSession,
    SessionStatus,
)
from inventory.models import SKU, Warehouse
from inventory.roles import Capability, Role, can
from inventory.selectors import warehouses_for
from inventory.soft_cache import soft_get_or_compute


def sessions_for(user) -> QuerySet[CountSession]:
    """Count sessions of the user's warehouses with line tallies, newest first, in one query."""
    return (
        CountSession.objects.filter(warehouse__in=warehouses_for(user))
        .select_related("warehouse", "created_by", "approved_by")
        .annotate(
            line_count=Count("lines"),
            counted_count=Count("lines", filter=Q(lines__counted_qty__isnull=False)),
            within_count=Count("lines", filter=Q(lines__first_within_tolerance=True)),
            judged_count=Count("lines", filter=Q(lines__first_within_tolerance__isnull=False)),
        )
        .order_by("-created_at", "-id")
    )


def _sessions_of(user) -> QuerySet[CountSession]:
    return CountSession.objects.filter(warehouse__in=warehouses_for(user)).select_related(
        "warehouse"
    )


def session_for_user(user, pk: int) -> CountSession:
    """A session of one of the user's warehouses, or 404."""
    return get_object_or_404(_sessions_of(user), pk=pk)


def session_to_count_for_user(user, pk: int) -> CountSession:
    """`session_for_user`, with whether it has assigned counters and whether `user` is one of
    them read in the same query (`may_enter_counts` then needs none)."""
    through = CountSession.counters.through.objects.filter(countsession_id=OuterRef("pk"))
    queryset = _sessions_of(user).annotate(
        has_counters=Exists(through), user_assigned=Exists(through.filter(user_id=user.pk))
    )
    session = get_object_or_404(queryset, pk=pk)
    session.assignment_of = user.pk
    return session


def may_enter_counts(user, session: CountSession) -> bool:
    """Counting rights: COUNT in the session's warehouse, and assigned when counters are set.

    Managers (APPROVE) may always enter; the warehouse scope is checked by `session_for_user`.
    A session read with its counter assignment (`session_to_count_for_user`, the scan's shared
    lock) answers without a query.
    """
    if not can(user, Capability.COUNT):
        return False
    if can(user, Capability.APPROVE):
        return True
    if getattr(session, "assignment_of", None) == user.pk:
        return not session.has_counters or session.user_assigned
    assigned = session.counters.values_list("pk", flat=True)
    return not assigned or user.pk in set(assigned)


def session_lines(session: CountSession) -> QuerySet[CountLine]:
    """The session's lines with SKU and people, for pages and exports."""
    return session.lines.select_related("sku", "counted_by", "recount_by").order_by(
        "bin", "sku__seller_sku"
    )


def review_lines(session: CountSession, *, only_variances: bool = False) -> QuerySet[CountLine]:
    """Lines for the manager's review, with the variance value (variance x unit cost)."""
    lines = session.lines.select_related("sku", "counted_by", "recount_by").annotate(
        variance_value=ExpressionWrapper(
            Coalesce(F("variance"), Value(0)) * F("sku__unit_cost"),
            output_field=DecimalField(max_digits=20, decimal_places=4),
        )
    )
    if only_variances:
        lines = lines.filter(
            Q(recount_required=True) | (Q(variance__isnull=False) & ~Q(variance=0))
        )
    return lines.order_by("bin", "sku__seller_sku")


def session_variance_totals(session: CountSession) -> dict:
    """Net variance of a session in units and in value (at today's unit cost)."""
    return session.lines.aggregate(
        units=Coalesce(Sum("variance"), Value(0)),
        value=Coalesce(
            Sum(F("variance") * F("sku__unit_cost"), output_field=DecimalField()),
            Value(Decimal("0")),
            output_field=DecimalField(),
        ),
        lines_with_variance=Count("id", filter=Q(variance__isnull=False) & ~Q(variance=0)),
    )


def session_progress(session: CountSession) -> dict[str, int]:
    """Lines counted, lines in all and lines waiting for a recount, for the entry page.

    One pass over the session's lines. A count of COUNT_PROGRESS_CACHE_LINES lines or more
    (a full count) keeps the figures in the shared cache for COUNT_PROGRESS_SECONDS: with 20
    counters scanning, every scan would otherwise re-read tens of thousands of lines to move
    the figure by one. Smaller counts are always exact.
    """
    return soft_get_or_compute(
        f"count-progress:{session.pk}",
        lambda: session.lines.aggregate(
            counted=Count("id", filter=Q(counted_qty__isnull=False)),
            total=Count("id"),
            waiting=Count("id", filter=Q(recount_required=True, recount_qty__isnull=True)),
        ),
        settings.STOCKWISE["COUNT_PROGRESS_SECONDS"],
        keep=lambda p: p["total"] >= settings.STOCKWISE["COUNT_PROGRESS_CACHE_LINES"],
    )


def lines_waiting_for_recount(session: CountSession) -> QuerySet[CountLine]:
    """Lines whose first count was out of tolerance and that have no recount yet."""
    return session_lines(session).filter(recount_required=True, recount_qty__isnull=True)


def recent_entries(session: CountSession, user, limit: int = 10) -> list[CountEntry]:
    """The user's latest entries in the session (undone ones included, flagged)."""
    return list(
        CountEntry.objects.filter(line__session=session, user=user)
        .select_related("line__sku")
        .order_by("-id")[:limit]
    )


def recent_and_undoable_entries(
    session: CountSession, user, limit: int = 10
) -> tuple[list[CountEntry], CountEntry | None]:
    """`recent_entries` and `last_undoable_entry` together: the second is read from the first
    unless all of the user's recent entries are undone (one query per scan instead of two)."""
    recent = recent_entries(session, user, limit)
    undoable = next((e for e in recent if e.undone_at is None), None)
    if undoable is None and len(recent) >= limit:
        undoable = last_undoable_entry(session, user)
    return recent, undoable


def last_undoable_entry(session: CountSession, user) -> CountEntry | None:
    """The user's latest entry that an undo would take back (None when there is none)."""
    return (
        CountEntry.objects.filter(line__session=session, user=user, undone_at__isnull=True)
        .select_related("line__sku")
        .order_by("-id")
        .first()
    )


@dataclass(frozen=True)
class Accuracy:
    lines_counted: int
    within_first: int

    @property
    def ira(self) -> float | None:
        """IRA = lines within tolerance on first count / lines counted (None: nothing counted)."""
        return self.within_first / self.lines_counted if self.lines_counted else None


def session_accuracy(session: CountSession) -> Accuracy:
    """IRA of one session over its judged lines (those evaluated at submission)."""
    row = session.lines.aggregate(
        counted=Count("id", filter=Q(first_within_tolerance__isnull=False)),
        within=Count("id", filter=Q(first_within_tolerance=True)),
    )
    return Accuracy(row["counted"], row["within"])


def accuracy_by_month(user, *, warehouse: Warehouse | None = None, since: date | None = None):
    """IRA per (month of approval, warehouse, class) over approved sessions, one query.

    Returns rows {month, warehouse, abc_class, lines, within}, oldest month first.
    """
    lines = CountLine.objects.filter(
        session__status=SessionStatus.APPROVED,
        session__warehouse__in=warehouses_for(user),
        first_within_tolerance__isnull=False,
    )
    if warehouse is not None:
        lines = lines.filter(session__warehouse=warehouse)
    if since is not None:
        lines = lines.filter(session__approved_at__date__gte=since)
    return list(
        lines.annotate(month=TruncMonth("session__approved_at"))
        .values("month", "abc_class", warehouse_code=F("session__warehouse__code"))
        .annotate(
            lines=Count("id"),
            within=Count("id", filter=Q(first_within_tolerance=True)),
        )
        .order_by("month", "warehouse_code", "abc_class")
    )


def sku_count_history(user, sku: SKU) -> QuerySet[CountLine]:
    """Every count of a SKU in the user's warehouses, newest first."""
    return (
        CountLine.objects.filter(sku=sku, session__warehouse__in=warehouses_for(user))
        .exclude(counted_qty__isnull=True)
        .select_related("session__warehouse", "sku", "counted_by", "recount_by")
        .order_by("-counted_at", "-id")
    )


def last_counted_subquery(warehouse_ref: str = "warehouse", sku_ref: str = "sku"):
    """A Subquery giving the last approved count time of the outer row's (warehouse, SKU).

    For annotating any queryset that has warehouse and SKU columns, e.g.
    `StockBalance.objects.annotate(last_counted=last_counted_subquery())`, or a SKU list with
    `last_counted_subquery(warehouse_ref=<warehouse id>, sku_ref="pk")`.
    """
    warehouse_value = OuterRef(warehouse_ref) if isinstance(warehouse_ref, str) else warehouse_ref
    return Subquery(
        CountLine.objects.filter(
            session__warehouse=warehouse_value,
            session__status=SessionStatus.APPROVED,
            sku=OuterRef(sku_ref),
            counted_at__isnull=False,
        )
        .order_by("-counted_at")
        .values("counted_at")[:1]
    )


def last_counted_by_key(*, warehouse_ids=None, sku_ids=None) -> dict[tuple[int, int], datetime]:
    """Last approved count time per (warehouse_id, sku_id), one GROUP BY query."""
    lines = CountLine.objects.filter(
        session__status=SessionStatus.APPROVED, counted_at__isnull=False
    )
    if warehouse_ids is not None:
        lines = lines.filter(session__warehouse_id__in=warehouse_ids)
    if sku_ids is not None:
        lines = lines.filter(sku_id__in=sku_ids)
    rows = (
        lines.values("session__warehouse_id", "sku_id")
        .annotate(last=Max("counted_at"))
        .values_list("session__warehouse_id", "sku_id", "last")
    )
    return {(w, s): last for w, s, last in rows}


def managers_of(warehouse: Warehouse) -> QuerySet:
    """Members of the warehouse who approve counts (managers, admins) and have an email."""
    User = get_user_model()
    return (
        User.objects.filter(warehouses=warehouse, is_active=True)
        .filter(Q(groups__name__in=[Role.MANAGER, Role.ADMIN]) | Q(is_superuser=True))
        .exclude(email="")
        .distinct()
        .order_by("username")
    )


def staff_counters_of(warehouse: Warehouse) -> int:
    """How many staff members count in the warehouse (the default number of counters)."""
    User = get_user_model()
    return User.objects.filter(
        warehouses=warehouse, is_active=True, groups__name=Role.STAFF
    ).count()


def counter_choices(user) -> QuerySet:
    """People who may be assigned as counters: members of the user's warehouses."""
    User = get_user_model()
    return (
        User.objects.filter(warehouses__in=warehouses_for(user), is_active=True)
        .distinct()
        .order_by("username")
    )


def open_session_exists(warehouse: Warehouse, kind: str) -> bool:
    """Is a session of this kind still open (draft, counting, submitted) in the warehouse?"""
    return CountSession.objects.filter(
        warehouse=warehouse, kind=kind, status__in=OPEN_STATUSES
    ).exists()


def skus_in_open_sessions(warehouse: Warehouse):
    """An Exists() for annotating rows with an outer `sku` already on an open session's list."""
    return Exists(
        CountLine.objects.filter(
            session__warehouse=warehouse,
            session__status__in=OPEN_STATUSES,
            sku=OuterRef("sku"),
        )
    )


def annotate_last_counted(skus: QuerySet[SKU], user) -> QuerySet[SKU]:
    """SKU list column: the last approved count of the SKU in any of the user's warehouses."""
    last = (
        CountLine.objects.filter(
            session__warehouse__in=warehouses_for(user),
            session__status=SessionStatus.APPROVED,
            sku=OuterRef("pk"),
            counted_at__isnull=False,
        )
        .order_by("-counted_at")
        .values("counted_at")[:1]
    )
    return skus.annotate(last_counted=Subquery(last))
