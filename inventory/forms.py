from decimal import Decimal

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from inventory.models import SKU, ImportKind, MovementKind
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


class ImportUploadForm(forms.Form):
    """An order export or a receipts file for one of the user's warehouses."""

    kind = forms.ChoiceField(label=_("What the file holds"), choices=())
    warehouse = forms.ModelChoiceField(label=_("Warehouse"), queryset=None, to_field_name="code")
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "CSV or XLSX. TikTok Shop: the order export from Seller Center. "
            "Receipts: columns seller_sku, quantity, unit_cost, received_at."
        ),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = warehouses_for(user)
        self.fields["kind"].choices = import_kinds_for(user)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit_mb = settings.STOCKWISE["IMPORT_MAX_UPLOAD_MB"]
        if upload.size > limit_mb * 1024 * 1024:
            raise forms.ValidationError(
                _("The file is larger than %(limit)s MB."), params={"limit": limit_mb}
            )
        if not upload.name.lower().endswith((".csv", ".xlsx")):
            raise forms.ValidationError(_("Upload a .csv or .xlsx file."))
        return upload


def import_kinds_for(user) -> list[tuple[str, str]]:
    """Receipts for purchasers and managers; TikTok sales only for who may post movements."""
    kinds = []
    if can(user, Capability.POST_MOVEMENTS):
        kinds.append((ImportKind.TIKTOK_ORDERS.value, ImportKind.TIKTOK_ORDERS.label))
    if can(user, Capability.PURCHASE) or can(user, Capability.POST_MOVEMENTS):
        kinds.append((ImportKind.RECEIPTS.value, ImportKind.RECEIPTS.label))
    return kinds


class SKUParametersForm(forms.ModelForm):
    """The per-SKU planning parameters a manager edits (blank lead times: the supplier's)."""

    class Meta:
        model = SKU
        fields = [
            "lead_time_days",
            "logistics_days",
            "lead_time_std_days",
            "service_level",
            "moq",
            "case_pack",
            "unit_cost",
            "unit_price",
        ]
        help_texts = {
            "lead_time_days": _("Days from order to dispatch. Blank: the supplier's."),
            "logistics_days": _("Days in transit to the warehouse. Blank: the supplier's."),
            "lead_time_std_days": _("Standard deviation of the lead time. Blank: the supplier's."),
            "service_level": _("Chance of not running out during a lead time, e.g. 0.95."),
        }
