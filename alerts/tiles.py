"""Dashboard tiles of the replenishment app (registered in AlertsConfig.ready)."""

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, Sum
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from alerts.models import Alert, PlanningFigures, Severity
from inventory.roles import Capability, can
from inventory.selectors import warehouses_for

REORDER_STATUSES = ("STOCKOUT", "BELOW_SAFETY", "REORDER")


def open_alerts_tile(request) -> dict | None:
    """Open alerts by severity, one query."""
    if not can(request.user, Capability.VIEW_ALERTS):
        return None
    counts = Alert.objects.filter(
        resolved_at__isnull=True, warehouse__in=warehouses_for(request.user)
    ).aggregate(
        critical=Count("id", filter=Q(severity=Severity.CRITICAL)),
        high=Count("id", filter=Q(severity=Severity.HIGH)),
        medium=Count("id", filter=Q(severity=Severity.MEDIUM)),
    )
    total = sum(counts.values())
    return {
        "title": _("Open stock alerts"),
        "value": number_format(total, force_grouping=True),
        "detail": _("%(critical)s critical · %(high)s high · %(medium)s medium") % counts,
        "url": reverse("alerts:alert_list") + "?state=open",
        "order": 10,
        "severity": "danger" if counts["critical"] else ("warning" if total else "success"),
    }


def reorder_today_tile(request) -> dict | None:
    """SKUs to reorder today and the value of the suggested quantities, one query."""
    if not can(request.user, Capability.VIEW_ALERTS):
        return None
    value = ExpressionWrapper(
        F("suggested_order_qty") * F("sku__unit_cost"),
        output_field=DecimalField(max_digits=20, decimal_places=4),
    )
    row = PlanningFigures.objects.filter(
        warehouse__in=warehouses_for(request.user),
        status__in=REORDER_STATUSES,
        suggested_order_qty__gt=0,
    ).aggregate(skus=Count("id"), value=Sum(value))
    return {
        "title": _("To reorder today"),
        "value": number_format(row["skus"], force_grouping=True),
        "detail": _("suggested orders worth %(value)s")
        % {"value": number_format(row["value"] or 0, decimal_pos=2, force_grouping=True)},
        "url": reverse("alerts:replenishment"),
        "order": 11,
        "severity": "warning" if row["skus"] else "success",
    }
