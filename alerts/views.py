from collections import defaultdict

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from alerts import selectors, services
from alerts.filters import AdAdviceFilter, AlertFilter, ReplenishmentFilter
from alerts.tables import AdAdviceTable, AlertTable, ReplenishmentTable
from inventory import table_pages
from inventory.exports import SafeExportMixin
from inventory.models import SKU
from inventory.permissions import CapabilityRequiredMixin, capability_required
from inventory.purchasing.services import purchase_orders_create_for_skus
from inventory.roles import Capability, can


def _back(request, default: str) -> str:
    target = request.POST.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


class ReplenishmentListView(
    CapabilityRequiredMixin,
    SafeExportMixin,
    table_pages.PageFiguresMixin,
    SingleTableMixin,
    FilterView,
):
    """Every (warehouse, SKU) of the user's warehouses, most urgent first."""

    capability = Capability.VIEW_ALERTS
    table_class = ReplenishmentTable
    filterset_class = ReplenishmentFilter
    template_name = "alerts/replenishment_list.html"
    # The table paginates; ListView's own pagination would count the rows twice.
    table_pagination = {"per_page": 50, "paginator_class": table_pages.CachedCountPaginator}
    export_name = "replenishment"

    def get_queryset(self):
        # The facts' columns come from the query itself only to sort or export by them.
        with_facts = self.exporting or self.sorted_by == "abc_class"
        return selectors.replenishment_rows(self.request.user, with_facts=with_facts)

    def add_page_figures(self, records) -> None:
        """Warehouse, SKU (with supplier) and facts of the page's rows, in one query: the
        user's warehouses are the ones the filter's choices already read."""
        warehouses = {w.pk: w for w in self.filterset.form.fields["warehouse"].queryset}
        facts = selectors.facts_by_pair((r.warehouse_id, r.sku_id) for r in records)
        missing = [r.sku_id for r in records if (r.warehouse_id, r.sku_id) not in facts]
        skus = SKU.objects.select_related("supplier").in_bulk(missing) if missing else {}
        for record in records:
            found = facts.get((record.warehouse_id, record.sku_id))
            record.warehouse = warehouses[record.warehouse_id]
            record.sku = found.sku if found else skus[record.sku_id]
            record.abc_class = found.abc_class if found else None
            record.slow_mover = found.slow_mover if found else None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_purchase"] = can(self.request.user, Capability.PURCHASE)
        first = next(iter(context["table"].paginated_rows), None)
        context["computed_at"] = first.record.computed_at if first else None
        return context


@require_POST
@capability_required(Capability.PURCHASE)
def purchase_orders_create(request):
    """Draft purchase orders (one per warehouse and supplier) for the ticked rows, at the
    suggested quantities."""
    back = _back(request, reverse("alerts:replenishment"))
    ids = [pk for pk in request.POST.getlist("rows") if pk.isdigit()]
    rows = list(selectors.planning_rows(user=request.user).filter(pk__in=ids))
    if not rows:
        messages.error(request, _("Select at least one row to order."))
        return redirect(back)
    skipped = [r.sku.seller_sku for r in rows if r.suggested_order_qty <= 0]
    by_warehouse = defaultdict(dict)
    warehouses = {}
    for row in rows:
        if row.suggested_order_qty > 0:
            by_warehouse[row.warehouse_id][row.sku] = row.suggested_order_qty
            warehouses[row.warehouse_id] = row.warehouse
    if skipped:
        messages.warning(
            request,
            _("Nothing to order for %(skus)s (no suggested quantity).")
            % {"skus": ", ".join(sorted(skipped))},
        )
    created = []
    for warehouse_id, quantities in by_warehouse.items():
        try:
            created += purchase_orders_create_for_skus(
                warehouse=warehouses[warehouse_id], quantities=quantities, user=request.user
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
    if created:
        messages.success(
            request,
            _("Draft purchase orders created: %(numbers)s.")
            % {"numbers": ", ".join(po.number for po in created)},
        )
    return redirect(back)


class AlertListView(
    CapabilityRequiredMixin,
    SafeExportMixin,
    table_pages.PageRowsMixin,
    SingleTableMixin,
    FilterView,
):
    capability = Capability.VIEW_ALERTS
    table_class = AlertTable
    filterset_class = AlertFilter
    template_name = "alerts/alert_list.html"
    # The table paginates; ListView's own pagination would count the rows twice.
    table_pagination = {"per_page": 50, "paginator_class": table_pages.CachedCountPaginator}
    export_name = "alerts"

    def get_full_queryset(self):
        return selectors.alerts_for(self.request.user)


@require_POST
@capability_required(Capability.VIEW_ALERTS)
def alert_acknowledge(request, pk: int):
    alert = get_object_or_404(selectors.alerts_for(request.user), pk=pk)
    try:
        services.alert_acknowledge(alert=alert, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("Alert for %(sku)s acknowledged.") % {"sku": alert.sku.seller_sku}
        )
    return redirect(_back(request, reverse("alerts:alert_list")))


class AdAdviceListView(
    CapabilityRequiredMixin,
    SafeExportMixin,
    table_pages.PageRowsMixin,
    SingleTableMixin,
    FilterView,
):
    capability = Capability.VIEW_ALERTS
    table_class = AdAdviceTable
    filterset_class = AdAdviceFilter
    template_name = "alerts/ad_advice_list.html"
    # The table paginates; ListView's own pagination would count the rows twice.
    table_pagination = {"per_page": 50, "paginator_class": table_pages.CachedCountPaginator}
    export_name = "ad-advice"

    def get_full_queryset(self):
        return selectors.ad_advice_rows(self.request.user)

    def get_sort_queryset(self):
        # The facts' join only to sort by the slow-mover flag.
        with_facts = self.sorted_by == "slow_mover"
        return selectors.ad_advice_rows(self.request.user, with_facts=with_facts)


@capability_required(Capability.VIEW_ALERTS)
def sku_chart_data(request, pk: int):
    """JSON for the SKU page chart: on-hand history, projection, SS and ROP per warehouse."""
    sku = get_object_or_404(SKU, pk=pk)
    if not can(request.user, Capability.VIEW_STOCK):
        raise PermissionDenied
    return JsonResponse(
        {"sku": sku.seller_sku, "warehouses": selectors.sku_chart(sku, request.user)}
    )
