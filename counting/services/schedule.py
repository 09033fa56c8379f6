"""The daily count schedule: today's cycle count per warehouse, and full-count reminders.

A SKU is proposed when it has a negative balance, when its sales in a day exceeded
COUNT_SPIKE_FACTOR x d-bar (after a promotion), or when it is due by class (A 7, B 30, C 90 days
since its last approved count; never counted is due). One query ranks the candidates —
negative first, then spikes, then due ones oldest-counted first — and keeps the day's capacity.
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import (
    Case,
    CharField,
    F,
    FilteredRelation,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from counting.models import (
    OPEN_STATUSES,
    CountKind,
    CountSession,
    FullCountReminder,
    LineReason,
    SessionStatus,
)
from counting.selectors import (
    last_counted_subquery,
    managers_of,
    skus_in_open_sessions,
    staff_counters_of,
)
from counting.services.sessions import session_with_lines
from inventory.models import StockBalance, Warehouse

logger = logging.getLogger(__name__)

# SkuFacts.max_daily_sales_recent covers the last 7 days: a SKU counted within them is not
# proposed again for the same spike.
SPIKE_LOOKBACK_DAYS = 7


def local_today(warehouse: Warehouse) -> date:
    """Today's date in the warehouse's time zone."""
    return timezone.now().astimezone(ZoneInfo(warehouse.timezone or "UTC")).date()


def _local_midnight(warehouse: Warehouse, day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(warehouse.timezone or "UTC"))


def daily_capacity(warehouse: Warehouse) -> int:
    """Lines a warehouse can count in a day: lines per counter per day x counters."""
    params = settings.STOCKWISE
    counters = params["COUNT_COUNTERS_PER_WAREHOUSE"]
    if counters is None:
        counters = max(1, staff_counters_of(warehouse))
    return params["COUNT_LINES_PER_COUNTER_PER_DAY"] * counters


def cycle_count_candidates(
    warehouse: Warehouse, today: date | None = None, *, limit: int | None = None
) -> QuerySet[StockBalance]:
    """Balances to count today, most urgent first, at most `limit` (default: daily capacity).

    Each row carries `reason` (negative, spike, due), `abc` (effective class) and
    `last_counted` (last approved count, None when never counted). SKUs already on an open
    session's list are left out. One SELECT.
    """
    today = today or local_today(warehouse)
    limit = daily_capacity(warehouse) if limit is None else limit
    params = settings.STOCKWISE
    cutoff = {
        cls: _local_midnight(warehouse, today - timedelta(days=days - 1))
        for cls, days in params["CYCLE_DAYS"].items()
    }
    spike_since = _local_midnight(warehouse, today - timedelta(days=SPIKE_LOOKBACK_DAYS - 1))
    facts = FilteredRelation("sku__facts", condition=Q(sku__facts__warehouse=warehouse))
    rows = (
        StockBalance.objects.filter(warehouse=warehouse)
        .filter(Q(sku__active=True) | ~Q(on_hand=0))
        .annotate(
            f=facts,
            abc=Coalesce(F("f__abc_class"), Value(""), output_field=CharField()),
            last_counted=last_counted_subquery(),
        )
        .exclude(skus_in_open_sessions(warehouse))
    )
    is_negative = Q(on_hand__lt=0)
    is_spike = Q(
        f__max_daily_sales_recent__gt=F("f__avg_daily_demand")
        * Value(float(params["COUNT_SPIKE_FACTOR"]))
    ) & (Q(last_counted__isnull=True) | Q(last_counted__lt=spike_since))
    is_due = (
        Q(last_counted__isnull=True)
        | Q(abc="A", last_counted__lt=cutoff["A"])
        | Q(abc="B", last_counted__lt=cutoff["B"])
        | (~Q(abc__in=["A", "B"]) & Q(last_counted__lt=cutoff["C"]))
    )
    return (
        rows.filter(is_negative | is_spike | is_due)
        .annotate(
            priority=Case(
                When(is_negative, then=Value(0)),
                When(is_spike, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            ),
            reason=Case(
                When(is_negative, then=Value(LineReason.NEGATIVE.value)),
                When(is_spike, then=Value(LineReason.SPIKE.value)),
                default=Value(LineReason.DUE.value),
                output_field=CharField(),
            ),
            class_rank=Case(
                When(abc="A", then=Value(0)),
                When(abc="B", then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            ),
        )
        .select_related("sku")
        .order_by(
            "priority",
            F("last_counted").asc(nulls_first=True),
            "class_rank",
            "sku__seller_sku",
        )[:limit]
    )


def cycle_count_propose(*, warehouse: Warehouse, today: date | None = None) -> CountSession | None:
    """Create today's cycle count of a warehouse (a draft), once per local day.

    Earlier proposals that were never started are closed first and their SKUs proposed again
    (in due order), so unstarted drafts do not pile up. Returns the session, the one already
    proposed today, or None when nothing is due.
    """
    today = today or local_today(warehouse)
    existing = CountSession.objects.filter(
        warehouse=warehouse, kind=CountKind.CYCLE, scheduled_for=today
    ).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            _retire_unstarted_proposals(warehouse, today)
            reasons = {row.sku_id: row.reason for row in cycle_count_candidates(warehouse, today)}
            if not reasons:
                return None
            return session_with_lines(
                warehouse=warehouse,
                kind=CountKind.CYCLE,
                user=None,
                reasons=reasons,
                scheduled_for=today,
                comment=_("Proposed by the daily schedule."),
            )
    except IntegrityError:
        # Another run proposed the same day a moment earlier.
        return CountSession.objects.get(
            warehouse=warehouse, kind=CountKind.CYCLE, scheduled_for=today
        )


def _retire_unstarted_proposals(warehouse: Warehouse, today: date) -> int:
    """Close earlier days' proposals nobody started, so their SKUs are proposed again today."""
    return CountSession.objects.filter(
        warehouse=warehouse,
        kind=CountKind.CYCLE,
        status=SessionStatus.DRAFT,
        scheduled_for__lt=today,
    ).update(
        status=SessionStatus.REJECTED,
        rejected_at=timezone.now(),
        comment=_("Not started; replaced by the proposal of %(day)s.") % {"day": today.isoformat()},
    )


def full_count_due(warehouse: Warehouse, today: date | None = None) -> bool:
    """A full count is due every FULL_COUNT_DAYS after the last approved one (or if never),
    unless one is in progress."""
    today = today or local_today(warehouse)
    full = CountSession.objects.filter(warehouse=warehouse, kind=CountKind.FULL)
    if full.filter(status__in=OPEN_STATUSES).exists():
        return False
    last = (
        full.filter(status=SessionStatus.APPROVED)
        .order_by("-approved_at")
        .values_list("approved_at", flat=True)
        .first()
    )
    if last is None:
        return True
    last_day = last.astimezone(ZoneInfo(warehouse.timezone or "UTC")).date()
    return (today - last_day).days >= settings.STOCKWISE["FULL_COUNT_DAYS"]


def full_count_remind(*, warehouse: Warehouse, today: date | None = None) -> bool:
    """Email the warehouse's managers once when a full count falls due; True when sent.

    No second reminder until a full count has been approved since the last one.
    """
    today = today or local_today(warehouse)
    if not full_count_due(warehouse, today):
        return False
    last_full = (
        CountSession.objects.filter(
            warehouse=warehouse, kind=CountKind.FULL, status=SessionStatus.APPROVED
        )
        .order_by("-approved_at")
        .values_list("approved_at", flat=True)
        .first()
    )
    reminders = FullCountReminder.objects.filter(warehouse=warehouse)
    if last_full is not None:
        reminders = reminders.filter(sent_at__gt=last_full)
    if reminders.exists():
        return False
    recipients = list(managers_of(warehouse).values_list("email", flat=True))
    if not recipients:
        logger.warning("full count due in %s but no manager has an email", warehouse.code)
        return False
    link = "{}{}?kind=full&warehouse={}".format(
        settings.SITE_URL.rstrip("/"), reverse("counting:session_create"), warehouse.code
    )
    days = settings.STOCKWISE["FULL_COUNT_DAYS"]
    subject = _("Full count due in warehouse %(code)s") % {"code": warehouse.code}
    if last_full is None:
        since = _("No full count of %(code)s has been approved yet.") % {"code": warehouse.code}
    else:
        since = _("The last full count of %(code)s was approved on %(day)s.") % {
            "code": warehouse.code,
            "day": last_full.astimezone(ZoneInfo(warehouse.timezone or "UTC")).date().isoformat(),
        }
    body = "\n\n".join(
        [
            since,
            _("A full count is due every %(days)s days. Start it here: %(link)s")
            % {"days": days, "link": link},
        ]
    )
    with transaction.atomic():
        FullCountReminder.objects.create(warehouse=warehouse, recipients=", ".join(recipients))
        transaction.on_commit(
            lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
        )
    return True


@dataclass
class ScheduleRun:
    warehouse: str
    session_id: int | None
    lines: int
    reminded: bool


def daily_count_schedule() -> list[ScheduleRun]:
    """The daily job: propose each warehouse's cycle count and remind of due full counts."""
    runs = []
    for warehouse in Warehouse.objects.order_by("code"):
        today = local_today(warehouse)
        session = cycle_count_propose(warehouse=warehouse, today=today)
        reminded = full_count_remind(warehouse=warehouse, today=today)
        runs.append(
            ScheduleRun(
                warehouse.code,
                session.pk if session else None,
                session.lines.count() if session else 0,
                reminded,
            )
        )
        logger.info("count schedule %s: %s", warehouse.code, runs[-1])
    return runs
