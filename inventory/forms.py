from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from inventory.models import SKU, MovementKind
from inventory.roles import Capability, can
from inventory.selectors import warehouses_for


class MovementPostForm(forms.Form):
    """Receipt, adjustment or transfer, entered by a person: quantities are typed as units moved."""

    RECEIPT = "receipt"
    ADJUSTMENT = "adjustment"
    TRANSFER = "transfer"
    ACTIONS = [
        (RECEIPT, _("Receipt (goods in)")),
        (ADJUSTMENT, _("Adjustment (+/-)")),
        (TRANSFER, _("Transfer to another warehouse")),
    ]

    action = forms.ChoiceField(label=_("What happened"), choices=ACTIONS)
    warehouse = forms.ModelChoiceField(label=_("Warehouse"), queryset=None, to_field_name="code")
    to_warehouse = forms.ModelChoiceField(
        label=_("To warehouse"), queryset=None, to_field_name="code", required=False
    )
    sku = forms.CharField(label=_("Seller SKU"), max_length=64)
    quantity = forms.IntegerField(
        label=_("Quantity"),
        min_value=-1_000_000,
        max_value=1_000_000,
        help_text=_("Units. For an adjustment, negative removes stock."),
    )
    unit_cost = forms.DecimalField(
        label=_("Unit cost"),
        required=False,
        min_value=Decimal("0"),
        max_digits=12,
        decimal_places=4,
        help_text=_("Blank: the SKU's unit cost."),
    )
    note = forms.CharField(label=_("Note"), max_length=255, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["warehouse"].queryset = warehouses_for(user)
        self.fields["to_warehouse"].queryset = warehouses_for(user)
        allowed = []
        if can(user, Capability.PURCHASE):
            allowed.append(self.ACTIONS[0])
        if can(user, Capability.POST_MOVEMENTS):
            allowed += self.ACTIONS[1:]
        self.fields["action"].choices = allowed

    def clean_sku(self):
        code = self.cleaned_data["sku"].strip()
        sku = SKU.objects.filter(seller_sku=code).first()
        if sku is None:
            raise forms.ValidationError(
                _("No SKU with seller SKU “%(code)s”."), params={"code": code}
            )
        return sku

    def clean(self):
        data = super().clean()
        action, qty = data.get("action"), data.get("quantity")
        if qty == 0:
            self.add_error("quantity", _("The quantity must not be zero."))
        elif action in (self.RECEIPT, self.TRANSFER) and qty is not None and qty < 0:
            self.add_error("quantity", _("Enter the number of units moved (greater than zero)."))
        if action == self.TRANSFER:
            to = data.get("to_warehouse")
            if to is None:
                self.add_error("to_warehouse", _("Choose the warehouse that receives the goods."))
            elif to == data.get("warehouse"):
                self.add_error("to_warehouse", _("A transfer needs two different warehouses."))
        return data

    def movement_kind(self) -> str:
        return (
            MovementKind.RECEIPT
            if self.cleaned_data["action"] == self.RECEIPT
            else (MovementKind.ADJUSTMENT)
        )
