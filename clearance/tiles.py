"""Dashboard tiles of the clearance app (registered in ClearanceConfig.ready)."""

from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from clearance.models import OPEN_BATCH_STATUSES, ClearanceLine, LineDecision
from clearance.selectors import slow_movers_for
from inventory.roles import Capability, can
from inventory.selectors import warehouses_for


def _money(value) -> str:
    return number_format(value or 0, decimal_pos=2, force_grouping=True)


def slow_mover_capital_tile(request) -> dict | None:
    """Capital tied up in slow movers (live stock × unit cost), one query."""
    if not can(request.user, Capability.VIEW_STOCK):
        return None
    row = slow_movers_for(request.user).order_by().aggregate(skus=Count("id"), total=Sum("value"))
    return {
        "title": _("Capital in slow movers"),
        "value": _money(row["total"]),
        "detail": _("%(skus)s SKUs with no sales for 30 days and stock older than 30 days")
        % {"skus": row["skus"]},
        "url": reverse("clearance:slow_movers"),
        "order": 30,
        "severity": "warning" if row["skus"] else "success",
    }


def open_batches_tile(request) -> dict | None:
    """Capital in the lines of open clearance batches, one query."""
    if not can(request.user, Capability.VIEW_STOCK):
        return None
    row = (
        ClearanceLine.objects.filter(
            batch__warehouse__in=warehouses_for(request.user),
            batch__status__in=OPEN_BATCH_STATUSES,
        )
        .exclude(decision=LineDecision.REJECTED)
        .aggregate(
            batches=Count("batch", distinct=True),
            capital=Sum("capital"),
            pending=Count("batch", distinct=True, filter=Q(batch__status="proposed")),
        )
    )
    return {
        "title": _("Capital in open clearance batches"),
        "value": _money(row["capital"]),
        "detail": _("%(batches)s open batches, %(pending)s waiting for approval") % row,
        "url": reverse("clearance:batch_list"),
        "order": 31,
        "severity": "info" if row["pending"] else None,
    }
