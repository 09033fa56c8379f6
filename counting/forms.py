import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from counting.models import CountKind
from counting.selectors import counter_choices
from inventory.selectors import warehouses_for


class SessionCreateForm(forms.Form):
    warehouse = forms.ModelChoiceField(label=_("Warehouse"), queryset=None, to_field_name="code")
    kind = forms.ChoiceField(label=_("Kind"), choices=CountKind.choices)
    skus = forms.CharField(
        label=_("SKUs"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "placeholder": "TEE-RED-M, A-01-03"}),
        help_text=_(
            "Cycle count: one Seller SKU per line, optionally followed by a comma and its bin. "
            "Empty: today's proposal (SKUs due by class, sales spikes, negative balances). "
            "A full count lists every SKU of the warehouse."
        ),
    )
    counters = forms.ModelMultipleChoiceField(
        label=_("Assigned counters"),
        queryset=None,
        required=False,
        help_text=_("Empty: anyone who counts in the warehouse."),
    )
    comment = forms.CharField(label=_("Comment"), required=False, max_length=500)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = warehouses_for(user)
        self.fields["counters"].queryset = counter_choices(user)

    def clean(self):
        data = super().clean()
        skus, bins = [], {}
        for raw in (data.get("skus") or "").splitlines():
            if not raw.strip():
                continue
            code, _sep, bin_ = raw.partition(",")
            code = code.strip()
            skus.append(code)
            if bin_.strip():
                bins[code] = bin_.strip()
        data["sku_list"], data["bins"] = skus, bins
        return data


class EntryForm(forms.Form):
    """One scan: a code, a quantity, and the submit's idempotency key."""

    code = forms.CharField(
        label=_("Scan or type a Seller SKU, TikTok SKU ID or barcode"),
        max_length=64,
        widget=forms.TextInput(
            attrs={
                "autofocus": True,
                "autocomplete": "off",
                "autocapitalize": "off",
                "spellcheck": "false",
                "class": "form-control form-control-lg",
            }
        ),
    )
    quantity = forms.IntegerField(
        label=_("Quantity"),
        min_value=0,
        max_value=1_000_000,
        initial=1,
        widget=forms.NumberInput(
            attrs={"inputmode": "numeric", "class": "form-control form-control-lg"}
        ),
    )
    key = forms.UUIDField(widget=forms.HiddenInput)

    @classmethod
    def fresh(cls):
        return cls(initial={"key": uuid.uuid4(), "quantity": 1})


class SubmitForm(forms.Form):
    uncounted_as_zero = forms.BooleanField(
        label=_("Record uncounted lines as 0 (nothing found)"), required=False
    )


class DecisionForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class SheetImportForm(forms.Form):
    MAX_BYTES = 5 * 1024 * 1024

    file = forms.FileField(label=_("Filled count sheet (XLSX)"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        return upload


class AccuracyFilterForm(forms.Form):
    warehouse = forms.ModelChoiceField(
        label=_("Warehouse"),
        queryset=None,
        to_field_name="code",
        required=False,
        empty_label=_("All my warehouses"),
    )
    months = forms.TypedChoiceField(
        label=_("Period"),
        coerce=int,
        choices=[
            (3, _("3 months")),
            (6, _("6 months")),
            (12, _("12 months")),
            (24, _("24 months")),
        ],
        initial=12,
        required=False,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = warehouses_for(user)
