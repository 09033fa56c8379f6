"""Purchase-order pages: list, create, detail with the receipt form, send / cancel / receive."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from inventory.exports import SafeExportMixin
from inventory.permissions import CapabilityRequiredMixin, capability_required
from inventory.purchasing import receipts, selectors, services
from inventory.purchasing.filters import PurchaseOrderFilter
from inventory.purchasing.forms import OrderLineFormSet, PurchaseOrderForm, ReceiveForm
from inventory.purchasing.tables import PurchaseOrderTable
from inventory.roles import Capability


class PurchaseOrderListView(CapabilityRequiredMixin, SafeExportMixin, SingleTableMixin, FilterView):
    capability = Capability.PURCHASE
    table_class = PurchaseOrderTable
    filterset_class = PurchaseOrderFilter
    template_name = "inventory/purchase_order_list.html"
    # The table paginates; ListView's own pagination would count the rows twice.
    table_pagination = {"per_page": 50}
    export_name = "purchase_orders"

    def get_queryset(self):
        return selectors.purchase_orders_for(self.request.user)


@capability_required(Capability.PURCHASE)
def purchase_order_create(request):
    """A draft order: header and lines. Refusals show on the form; nothing is written."""
    form = PurchaseOrderForm(request.POST or None, user=request.user)
    formset = OrderLineFormSet(request.POST or None, prefix="lines")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            order = services.purchase_order_create(
                supplier=form.cleaned_data["supplier"],
                warehouse=form.cleaned_data["warehouse"],
                lines=formset.order_lines(),
                user=request.user,
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("%(number)s created as a draft.") % {"number": order})
            return redirect("inventory:po_detail", number=order.number)
    return render(request, "inventory/purchase_order_form.html", {"form": form, "formset": formset})


def _detail(request, order, receive_form=None, status=200):
    receive_form = receive_form or ReceiveForm(purchase_order=order)
    context = {
        "order": order,
        "rows": receive_form.rows(),
        "receive_form": receive_form,
        "can_receive": order.status in receipts.RECEIVABLE_STATUSES,
    }
    return render(request, "inventory/purchase_order_detail.html", context, status=status)


@capability_required(Capability.PURCHASE)
def purchase_order_detail(request, number: str):
    order = selectors.purchase_order_for_user(request.user, number)
    return _detail(request, order)


@require_POST
@capability_required(Capability.PURCHASE)
def purchase_order_receive(request, number: str):
    order = selectors.purchase_order_for_user(request.user, number)
    form = ReceiveForm(request.POST, purchase_order=order)
    if form.is_valid():
        try:
            receipt = receipts.purchase_order_receive(
                purchase_order=order,
                lines=form.receipt_lines(),
                received_at=form.received_at(),
                receipt_ref=form.cleaned_data["receipt_ref"],
                user=request.user,
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            if receipt.created:
                messages.success(request, _("Goods received on %(number)s.") % {"number": order})
            else:
                messages.info(request, _("This receipt was already recorded."))
            return redirect("inventory:po_detail", number=order.number)
    return _detail(request, order, form, status=400)


def _transition(request, number: str, service, done: str):
    order = selectors.purchase_order_for_user(request.user, number)
    try:
        service(purchase_order=order, user=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, done % {"number": order.number})
    return redirect("inventory:po_detail", number=order.number)


@require_POST
@capability_required(Capability.PURCHASE)
def purchase_order_send(request, number: str):
    return _transition(
        request, number, services.purchase_order_send, _("%(number)s marked as sent.")
    )


@require_POST
@capability_required(Capability.PURCHASE)
def purchase_order_cancel(request, number: str):
    return _transition(request, number, services.purchase_order_cancel, _("%(number)s cancelled."))
