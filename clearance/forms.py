from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clearance.models import LineDecision, Strategy
from clearance.services import LineEdit
from inventory.choices import ReadOnceModelChoiceField
from inventory.models import Category
from inventory.selectors import warehouses_for


class AgeingFilterForm(forms.Form):
    """Filters of the ageing report. The rows come from one SQL statement, not a queryset, so
    this is a plain form rather than a django-filter FilterSet."""

    warehouse = ReadOnceModelChoiceField(
        queryset=None, to_field_name="code", required=False, label=_("Warehouse")
    )
    category = ReadOnceModelChoiceField(
        queryset=Category.objects.all(), required=False, label=_("Category")
    )
    q = forms.CharField(required=False, max_length=100, label=_("Search"))
    as_of = forms.DateField(
        required=False, label=_("As of"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = warehouses_for(user)
        self.fields["warehouse"].empty_label = _("All my warehouses")
        self.fields["category"].empty_label = _("All categories")
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-select form-select-sm")
        self.fields["as_of"].widget.attrs["class"] = "form-control form-control-sm"
        self.fields["q"].widget.attrs["class"] = "form-control form-control-sm"

    def clean_as_of(self):
        as_of = self.cleaned_data["as_of"]  # empty: the nightly snapshot (the view decides)
        if as_of is not None and as_of > timezone.localdate():
            raise forms.ValidationError(_("The report cannot look into the future."))
        return as_of


class ProposeForm(forms.Form):
    warehouse = forms.ModelChoiceField(
        queryset=None,
        to_field_name="code",
        label=_("Warehouse"),
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = warehouses_for(user)
        self.fields["warehouse"].empty_label = _("Choose a warehouse")


class CommentForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class LinesForm(forms.Form):
    """One row of fields per line: decision, strategy, quantity, discount (`line-<id>-…`)."""

    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = lines
        for line in lines:
            prefix = f"line-{line.pk}-"
            self.fields[prefix + "decision"] = forms.ChoiceField(
                choices=LineDecision.choices,
                initial=line.decision,
                label=_("Decision"),
                widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
            )
            self.fields[prefix + "strategy"] = forms.ChoiceField(
                choices=Strategy.choices,
                initial=line.strategy,
                label=_("Strategy"),
                widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
            )
            self.fields[prefix + "quantity"] = forms.IntegerField(
                min_value=1,
                max_value=line.units,
                initial=line.quantity,
                label=_("Quantity"),
                widget=forms.NumberInput(attrs={"class": "form-control form-control-sm"}),
            )
            self.fields[prefix + "discount"] = forms.DecimalField(
                min_value=Decimal("0"),
                max_value=Decimal("95"),
                decimal_places=2,
                required=False,
                initial=line.discount,
                label=_("Discount (%)"),
                widget=forms.NumberInput(
                    attrs={"class": "form-control form-control-sm", "step": "0.01"}
                ),
            )

    def rows(self):
        """(line, decision, strategy, quantity, discount) bound fields, for the template."""
        for line in self.lines:
            prefix = f"line-{line.pk}-"
            yield (
                line,
                self[prefix + "decision"],
                self[prefix + "strategy"],
                self[prefix + "quantity"],
                self[prefix + "discount"],
            )

    def edits(self) -> list[LineEdit]:
        data = self.cleaned_data
        return [
            LineEdit(
                line_id=line.pk,
                decision=data[f"line-{line.pk}-decision"],
                strategy=data[f"line-{line.pk}-strategy"],
                quantity=data[f"line-{line.pk}-quantity"],
                discount=data[f"line-{line.pk}-discount"],
            )
            for line in self.lines
        ]
