"""The turnover page (form, table, view) and the trend chart fragment.

Scoped to the user's warehouses (a warehouse code that is not theirs answers 404); figures come
from `inventory.turnover`, one statement for the table and one for the monthly trend.
"""

from datetime import timedelta
from decimal import Decimal
from operator import attrgetter

import django_tables2 as tables
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from django_tables2 import SingleTableMixin
from django_tables2.data import TableListData

from inventory import selectors
from inventory.dashboard import TURNOVER_CACHE_SECONDS, fmt_number
from inventory.exports import SafeExportMixin
from inventory.permissions import CapabilityRequiredMixin, capability_required
from inventory.roles import Capability
from inventory.soft_cache import soft_get_or_compute
from inventory.stable_order import StableTable, page_size
from inventory.turnover import (
    PUBLIC_GROUPINGS,
    Band,
    Grouping,
    Period,
    TurnoverRow,
    band_limits,
    combine_rows,
    turnover_rows,
    turnover_trend,
)
from inventory.turnover_notices import notices_for
from inventory.turnover_page import TurnoverPageData, column_orders, pages_in_sql

PRESET_DAYS = (30, 90, 365)


def period_choices() -> list[tuple[str, str]]:
    """Last 30 / 90 / 365 days (and the trailing window of the dashboard if it differs), custom."""
    days = sorted({*PRESET_DAYS, settings.STOCKWISE["TURNOVER_TRAILING_DAYS"]})
    return [(str(d), _("Last %(days)d days") % {"days": d}) for d in days] + [
        ("custom", _("Custom"))
    ]


class TurnoverForm(forms.Form):
    """Period, grouping and warehouse of the turnover page (GET). Blank fields take defaults."""

    period = forms.ChoiceField(label=_("Period"), choices=period_choices, required=False)
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    group = forms.ChoiceField(
        label=_("Group by"),
        choices=[(g.value, g.label) for g in PUBLIC_GROUPINGS],
        required=False,
    )
    warehouse = forms.ModelChoiceField(
        label=_("Warehouse"),
        queryset=None,
        to_field_name="code",
        required=False,
        empty_label=_("All my warehouses"),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = selectors.warehouses_for(user)
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs["class"] = f"{css} form-select-sm form-control-sm"

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        choice = data.get("period") or str(settings.STOCKWISE["TURNOVER_TRAILING_DAYS"])
        data["group"] = data.get("group") or Grouping.SKU.value
        if choice == "custom":
            start, end = data.get("start"), data.get("end")
            if not start or not end:
                raise ValidationError(_("A custom period needs both a start and an end date."))
        else:
            end = today
            start = end - timedelta(days=int(choice) - 1)
        if end > today + timedelta(days=1):
            raise ValidationError(_("The period cannot end in the future."))
        data["period_obj"] = Period(start, end)  # raises the period's own errors
        return data


_CENT = Decimal("0.01")


def _money(value) -> str:
    return fmt_number(value, 2)


def _fmt(value, places=2) -> str:
    return fmt_number(value, places)


_BAND_CSS = {
    Band.BELOW: "text-bg-warning",
    Band.ABOVE: "text-bg-danger",
    Band.IN: "text-bg-success",
}


def _row_url(record: TurnoverRow) -> str | None:
    """The row's page, reversed only for the rows on screen (not for 100k exported ones)."""
    return record.url or None


class TurnoverRowsData(TableListData):
    """The table's rows, sorted by plain keys: the library's comparator resolves every accessor
    at every comparison (3.7 s to sort 100k rows). Undefined figures ("—": no stock, no sales)
    go last in either direction."""

    def order_by(self, aliases):
        orders = column_orders(self.table, aliases)
        rows = self.data
        for order in reversed(orders):  # stable sorts, the least significant key first
            name = order.bare
            present = [r for r in rows if getattr(r, name) is not None]
            present.sort(key=attrgetter(name), reverse=order.is_descending)
            rows = present + [r for r in rows if getattr(r, name) is None]
        self.data[:] = rows


class TurnoverTable(StableTable):
    """Built from `TurnoverRow`s (read as attributes: a dict copy of 100k rows cost 0.4 s);
    exports give raw numbers, the page formats."""

    label = tables.Column(verbose_name=_("SKU"), linkify=_row_url, order_by=("label",))
    detail = tables.Column(verbose_name=_("Name"))
    cogs = tables.Column(verbose_name=_("COGS"), attrs={"td": {"class": "text-end"}})
    average_inventory_value = tables.Column(
        verbose_name=_("Average inventory value"), attrs={"td": {"class": "text-end"}}
    )
    stock_value_now = tables.Column(
        verbose_name=_("Stock value today"), attrs={"td": {"class": "text-end"}}
    )
    turnover = tables.Column(verbose_name=_("Turnover"), attrs={"td": {"class": "text-end"}})
    annualised_turnover = tables.Column(
        verbose_name=_("Annualised turnover"), attrs={"td": {"class": "text-end"}}
    )
    dio = tables.Column(verbose_name=_("DIO (days)"), attrs={"td": {"class": "text-end"}})
    band = tables.Column(verbose_name=_("Band"))

    class Meta:
        orderable = True

    def __init__(self, *args, grouping=Grouping.SKU, **kwargs):
        if grouping != Grouping.SKU:
            kwargs.setdefault("exclude", ("detail",))
        super().__init__(*args, **kwargs)
        self.columns["label"].column.verbose_name = Grouping(grouping).label

    def render_cogs(self, value):
        return _money(value)

    def render_average_inventory_value(self, value):
        return _money(value)

    def render_stock_value_now(self, value):
        return _money(value)

    def render_turnover(self, value):
        return _fmt(value, 3)

    def render_annualised_turnover(self, value):
        return _fmt(value)

    def render_dio(self, value):
        return _fmt(value, 1)

    def render_band(self, value):
        return format_html(
            '<span class="badge {}">{}</span>', _BAND_CSS.get(value, ""), Band(value).label
        )

    def value_cogs(self, value):
        return value.quantize(_CENT)

    def value_average_inventory_value(self, value):
        return value.quantize(_CENT)

    def value_stock_value_now(self, value):
        return value.quantize(_CENT)

    def value_turnover(self, value):
        return value

    def value_annualised_turnover(self, value):
        return value

    def value_dio(self, value):
        return value

    def value_band(self, value):
        return value or ""


def cached_trend(warehouses, end) -> list[TurnoverRow]:
    """The 12-month trend up to `end`, kept a few minutes: it reads a year of the daily rollup
    (3.7 s at 100k SKUs) and a month's point barely moves in that time."""
    ids = ",".join(str(w.pk) for w in warehouses)
    return soft_get_or_compute(
        f"turnover-trend:{end}:{ids}",
        lambda: turnover_trend(warehouses=warehouses, end=end),
        TURNOVER_CACHE_SECONDS,
        keep=lambda _rows: True,
    )


def trend_chart_data(rows: list[TurnoverRow]) -> dict:
    """What the Chart.js trend needs: one point per month, band lines, nulls where undefined."""
    low, high = band_limits()
    return {
        "labels": [r.start.strftime("%Y-%m") for r in rows],
        "annualised": [
            float(r.annualised_turnover) if r.annualised_turnover is not None else None
            for r in rows
        ],
        "band_min": float(low),
        "band_max": float(high),
        "label_turnover": str(_("Annualised turnover")),
        "label_min": str(_("Healthy band min")),
        "label_max": str(_("Healthy band max")),
    }


class TurnoverView(CapabilityRequiredMixin, SafeExportMixin, SingleTableMixin, TemplateView):
    capability = Capability.VIEW_STOCK
    table_class = TurnoverTable
    template_name = "inventory/turnover.html"
    paginate_by = 50
    export_name = "turnover"

    def get_form(self) -> TurnoverForm:
        if not hasattr(self, "_form"):
            if code := self.request.GET.get("warehouse"):
                # Another warehouse's code answers 404, not a form error.
                selectors.warehouse_for_user(self.request.user, code)
            defaults = {
                "period": str(settings.STOCKWISE["TURNOVER_TRAILING_DAYS"]),
                "group": Grouping.SKU.value,
            }
            self._form = TurnoverForm(
                {**defaults, **self.request.GET.dict()}, user=self.request.user
            )
        return self._form

    def get_warehouses(self):
        if not hasattr(self, "_warehouses"):
            form = self.get_form()
            chosen = form.cleaned_data.get("warehouse") if form.is_valid() else None
            self._warehouses = (
                [chosen] if chosen else list(selectors.warehouses_for(self.request.user))
            )
        return self._warehouses

    def get_rows(self) -> list[TurnoverRow]:
        if not hasattr(self, "_rows"):
            form = self.get_form()
            self._rows = []
            if form.is_valid():
                self._rows = turnover_rows(
                    warehouses=self.get_warehouses(),
                    period=form.cleaned_data["period_obj"],
                    grouping=form.cleaned_data["group"],
                )
        return self._rows

    def get_table_data(self):
        form = self.get_form()
        exporting = self.request.GET.get(self.export_trigger_param)
        if form.is_valid() and not exporting and pages_in_sql(form.cleaned_data["group"]):
            # Only the page's rows are built (turnover_page.py): 100k exact rows were 1.5 s.
            return TurnoverPageData(
                warehouses=self.get_warehouses(),
                period=form.cleaned_data["period_obj"],
                expected=self._requested_slice(),
            )
        return TurnoverRowsData(list(self.get_rows()))

    def _requested_slice(self) -> tuple[int, int]:
        """(offset, size) of the page the request names, as django-tables2 will read it."""

        def number(name, default):
            try:
                return int(self.request.GET[name])
            except (KeyError, ValueError):
                return default

        asked = number("per_page", None)
        per_page = (
            self.paginate_by if asked is None else page_size(asked, TurnoverTable._meta.per_page)
        )
        return (max(number("page", 1), 1) - 1) * per_page, per_page

    def get_table_kwargs(self):
        form = self.get_form()
        group = form.cleaned_data["group"] if form.is_valid() else Grouping.SKU
        return {"grouping": group}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = self.get_form()
        context["form"] = form
        if form.is_valid() and not self.request.GET.get(self.export_trigger_param):
            period = form.cleaned_data["period_obj"]
            warehouses = self.get_warehouses()
            context["period"] = period
            data = context["table"].data
            if isinstance(data, TurnoverPageData):
                context["total"] = total = data.total
            else:
                context["total"] = total = combine_rows(self.get_rows(), period)
            context["total_display"] = {
                "cogs": fmt_number(total.cogs),
                "average_inventory_value": fmt_number(total.average_inventory_value),
                "turnover": fmt_number(total.turnover, 3),
                "annualised_turnover": fmt_number(total.annualised_turnover),
                "dio": fmt_number(total.dio, 1),
                "band": f"{fmt_number(total.band_min)}–{fmt_number(total.band_max)}",
            }
            context["trend"] = trend_chart_data(cached_trend(warehouses, period.end))
            context["scope"] = warehouses
        context["notices"] = notices_for(self.request.user)
        return context


@capability_required(Capability.VIEW_STOCK)
def turnover_trend_chart(request):
    """The monthly trend chart alone (the dashboard loads it after the page)."""
    warehouses = list(selectors.warehouses_for(request.user))
    rows = cached_trend(warehouses, timezone.localdate())
    return render(
        request, "inventory/_turnover_trend.html", {"trend": trend_chart_data(rows), "lazy": True}
    )
