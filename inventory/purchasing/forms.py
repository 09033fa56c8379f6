"""Forms of the purchase-order pages: a header with a formset of lines, and the receipt form."""

import uuid
from datetime import datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from inventory.models import SKU, PurchaseOrder, Supplier
from inventory.purchasing.receipts import RECEIPT_REF_MAX_LENGTH, ReceiptLine
from inventory.purchasing.services import OrderLine
from inventory.selectors import warehouses_for


class PurchaseOrderForm(forms.Form):
    warehouse = forms.ModelChoiceField(label=_("Warehouse"), queryset=None, to_field_name="code")
    supplier = forms.ModelChoiceField(label=_("Supplier"), queryset=Supplier.objects.all())
    note = forms.CharField(label=_("Note"), max_length=255, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = warehouses_for(user)


class OrderLineForm(forms.Form):
    sku = forms.CharField(label=_("Seller SKU"), max_length=64)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=10_000_000)
    unit_cost = forms.DecimalField(
        label=_("Unit cost"),
        required=False,
        min_value=Decimal("0"),
        max_digits=12,
        decimal_places=4,
        help_text=_("Blank: the SKU's unit cost."),
    )
    expected_date = forms.DateField(
        label=_("Expected date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class BaseOrderLineFormSet(forms.BaseFormSet):
    """Resolves every typed seller SKU in one query and refuses unknown or repeated ones."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        filled = [f for f in self.forms if f.cleaned_data and not self._should_delete_form(f)]
        if not filled:
            raise forms.ValidationError(_("Enter at least one line."))
        codes = [f.cleaned_data["sku"].strip() for f in filled]
        skus = SKU.objects.in_bulk(codes, field_name="seller_sku")
        seen = set()
        for form, code in zip(filled, codes, strict=True):
            if code not in skus:
                form.add_error("sku", _("No SKU with seller SKU “%(code)s”.") % {"code": code})
            elif code in seen:
                form.add_error("sku", _("This SKU is already on another line."))
            seen.add(code)
        self.skus = skus

    def order_lines(self) -> list[OrderLine]:
        return [
            OrderLine(
                sku=self.skus[f.cleaned_data["sku"].strip()],
                quantity=f.cleaned_data["quantity"],
                unit_cost=f.cleaned_data.get("unit_cost"),
                expected_date=f.cleaned_data.get("expected_date"),
            )
            for f in self.forms
            if f.cleaned_data
        ]


OrderLineFormSet = forms.formset_factory(
    OrderLineForm, formset=BaseOrderLineFormSet, extra=5, max_num=200, validate_max=True
)


class ReceiveForm(forms.Form):
    """One quantity per open line; blank or 0 means nothing arrived of that SKU.

    `receipt_ref` is a token minted when the page is shown, so submitting the same page twice
    receives the goods once.
    """

    received_on = forms.DateField(
        label=_("Received on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Blank: now."),
    )
    receipt_ref = forms.CharField(
        max_length=RECEIPT_REF_MAX_LENGTH, widget=forms.HiddenInput, required=True
    )

    def __init__(self, *args, purchase_order: PurchaseOrder, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("receipt_ref", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)
        self.purchase_order = purchase_order
        # A field for every line, shown only where something is open: a resubmitted page whose
        # receipt completed a line still parses, and the service answers "already recorded".
        # The open quantity is checked by the service under the line lock, not here.
        self.order_lines = list(purchase_order.lines.all())
        for line in self.order_lines:
            self.fields[self.field_name(line)] = forms.IntegerField(
                label=line.sku.seller_sku,
                required=False,
                min_value=0,
                widget=forms.NumberInput(
                    attrs={"class": "form-control form-control-sm", "max": line.open_quantity}
                ),
            )

    @staticmethod
    def field_name(line) -> str:
        return f"line_{line.pk}"

    def rows(self):
        """(line, its quantity field or None when nothing is open) for every line of the order."""
        return [
            (line, self[self.field_name(line)] if line.open_quantity > 0 else None)
            for line in self.order_lines
        ]

    def clean(self):
        data = super().clean()
        if not self.errors and not self.receipt_lines():
            raise forms.ValidationError(_("Enter the quantity received for at least one line."))
        received_on = data.get("received_on")
        if received_on and received_on > self._today():
            self.add_error("received_on", _("The receipt date cannot be in the future."))
        return data

    def _zone(self) -> ZoneInfo:
        return ZoneInfo(self.purchase_order.warehouse.timezone)

    def _today(self):
        return timezone.localdate(timezone=self._zone())

    def receipt_lines(self) -> list[ReceiptLine]:
        return [
            ReceiptLine(sku=line.sku, quantity=self.cleaned_data[self.field_name(line)])
            for line in self.order_lines
            if self.cleaned_data.get(self.field_name(line))
        ]

    def received_at(self) -> datetime | None:
        """Today (or blank) is now; an earlier day is the end of that day in the warehouse."""
        day = self.cleaned_data.get("received_on")
        if day is None or day == self._today():
            return None
        return datetime.combine(day, time(23, 59, 59), tzinfo=self._zone())
