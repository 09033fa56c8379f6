"""Dashboard tiles of the counting app (registered in CountingConfig.ready)."""

from datetime import timedelta

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from counting.models import OPEN_STATUSES, CountLine, CountSession, SessionStatus
from inventory.roles import Capability, can
from inventory.selectors import warehouses_for

IRA_DAYS = 30


def todays_counts_tile(request) -> dict | None:
    """Open count sessions and how many of their lines are counted, one query."""
    if not can(request.user, Capability.COUNT):
        return None
    row = CountSession.objects.filter(
        warehouse__in=warehouses_for(request.user), status__in=OPEN_STATUSES
    ).aggregate(
        sessions=Count("id", distinct=True),
        line_total=Count("lines"),
        counted=Count("lines", filter=Q(lines__counted_qty__isnull=False)),
    )
    done = row["counted"] / row["line_total"] if row["line_total"] else 1
    return {
        "title": _("Counts in progress"),
        "value": number_format(row["sessions"], force_grouping=True),
        "detail": _("%(counted)s of %(lines)s lines counted")
        % {"counted": row["counted"], "lines": row["line_total"]},
        "url": reverse("counting:session_list"),
        "order": 20,
        "severity": None if done >= 1 else "info",
    }


def accuracy_tile(request) -> dict | None:
    """Inventory record accuracy over the approved counts of the last 30 days, one query."""
    if not can(request.user, Capability.COUNT):
        return None
    since = timezone.now() - timedelta(days=IRA_DAYS)
    row = CountLine.objects.filter(
        session__warehouse__in=warehouses_for(request.user),
        session__status=SessionStatus.APPROVED,
        session__approved_at__gte=since,
        first_within_tolerance__isnull=False,
    ).aggregate(lines=Count("id"), within=Count("id", filter=Q(first_within_tolerance=True)))
    if not row["lines"]:
        value, severity = "—", None
    else:
        ira = row["within"] / row["lines"]
        value = f"{ira:.1%}"
        severity = "success" if ira >= 0.95 else ("warning" if ira >= 0.85 else "danger")
    return {
        "title": _("Inventory record accuracy"),
        "value": value,
        "detail": _("%(within)s of %(lines)s lines right on first count, last 30 days") % row,
        "url": reverse("counting:accuracy"),
        "order": 21,
        "severity": severity,
    }
