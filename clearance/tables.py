from decimal import Decimal

import django_tables2 as tables
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from clearance.models import ClearanceBatch
from inventory.models import SkuFacts
from inventory.stable_order import StableTable

_CENT = Decimal("0.01")
_NUM = {"td": {"class": "text-end"}, "th": {"class": "text-end"}}


def _sku_link(seller_sku: str) -> str:
    return reverse("inventory:sku_by_code", args=[seller_sku])


class _MoneyColumn(tables.Column):
    """Cents, on screen and in exports (SQLite hands computed decimals back unrounded)."""

    def render(self, value):
        return Decimal(value).quantize(_CENT)

    def value(self, value):
        return Decimal(value).quantize(_CENT)


class AgeingTable(StableTable):
    """Rows are the nightly snapshot's annotated SkuFacts
    (`clearance.selectors.ageing_snapshot_rows`) or, for another day, the ledger-computed
    `inventory.ageing.AgeingRow.as_record()` dicts: both carry these names."""

    warehouse = tables.Column(accessor="warehouse_code", verbose_name=_("Warehouse"))
    seller_sku = tables.Column(
        verbose_name=_("Seller SKU"),
        linkify=lambda record: _sku_link(tables.A("seller_sku").resolve(record)),
    )
    name = tables.Column(verbose_name=_("Name"))
    category = tables.Column(verbose_name=_("Category"))
    on_hand = tables.Column(verbose_name=_("On hand"), attrs=_NUM)
    units_0_30 = tables.Column(verbose_name=_("0–30 d"), attrs=_NUM)
    units_31_60 = tables.Column(verbose_name=_("31–60 d"), attrs=_NUM)
    units_61_90 = tables.Column(verbose_name=_("61–90 d"), attrs=_NUM)
    units_91_180 = tables.Column(verbose_name=_("91–180 d"), attrs=_NUM)
    units_over_180 = tables.Column(verbose_name=_(">180 d"), attrs=_NUM)
    value_0_30 = _MoneyColumn(verbose_name=_("Value 0–30 d"), attrs=_NUM)
    value_31_60 = _MoneyColumn(verbose_name=_("Value 31–60 d"), attrs=_NUM)
    value_61_90 = _MoneyColumn(verbose_name=_("Value 61–90 d"), attrs=_NUM)
    value_91_180 = _MoneyColumn(verbose_name=_("Value 91–180 d"), attrs=_NUM)
    value_over_180 = _MoneyColumn(verbose_name=_("Value >180 d"), attrs=_NUM)
    value = _MoneyColumn(verbose_name=_("Value"), attrs=_NUM)
    # Oldest first sorts by the oldest unit's day (an index on the snapshot), newest day last;
    # ties in a stable order so pages never repeat or skip a row.
    oldest_unit_age_days = tables.Column(
        verbose_name=_("Oldest unit (days)"), attrs=_NUM, order_by=("-oldest_unit_date", "-id")
    )

    class Meta:
        order_by = ("-oldest_unit_age_days",)


class SlowMoverTable(StableTable):
    warehouse = tables.Column(accessor="warehouse__code", verbose_name=_("Warehouse"))
    sku = tables.Column(
        accessor="sku__seller_sku",
        verbose_name=_("Seller SKU"),
        linkify=lambda record: record.sku.get_absolute_url(),
    )
    name = tables.Column(accessor="sku__name", verbose_name=_("Name"))
    category = tables.Column(accessor="sku__category__name", verbose_name=_("Category"))
    on_hand = tables.Column(verbose_name=_("On hand"), attrs=_NUM)
    value = tables.Column(verbose_name=_("Capital tied up"), attrs=_NUM)
    oldest_unit_age_days = tables.Column(verbose_name=_("Oldest unit (days)"), attrs=_NUM)
    units_sold_slow_window = tables.Column(verbose_name=_("Recent sales"), attrs=_NUM)
    in_open_batch = tables.BooleanColumn(verbose_name=_("In an open batch"))
    as_of = tables.DateColumn(verbose_name=_("As of"), short=True)

    class Meta:
        model = SkuFacts
        fields = ()
        sequence = (
            "warehouse",
            "sku",
            "name",
            "category",
            "on_hand",
            "value",
            "oldest_unit_age_days",
            "units_sold_slow_window",
            "in_open_batch",
            "as_of",
        )

    def render_value(self, value):
        return number_format(value, 2)


class AtRiskTable(SlowMoverTable):
    avg_daily_demand = tables.Column(verbose_name=_("Average daily demand"), attrs=_NUM)
    days_to_sell = tables.Column(
        verbose_name=_("Days to sell"), attrs=_NUM, default="∞", empty_values=(None,)
    )

    class Meta(SlowMoverTable.Meta):
        sequence = (
            "warehouse",
            "sku",
            "name",
            "category",
            "on_hand",
            "value",
            "avg_daily_demand",
            "days_to_sell",
            "oldest_unit_age_days",
            "in_open_batch",
            "as_of",
        )
        exclude = ("units_sold_slow_window",)

    def render_avg_daily_demand(self, value):
        return number_format(value, 2)

    def render_days_to_sell(self, value):
        return number_format(value, 0)


class BatchTable(StableTable):
    """`progress` (batch id -> selectors.Progress) is set by the view for the page's rows."""

    id = tables.Column(linkify=True, verbose_name="#")
    warehouse = tables.Column(accessor="warehouse__code", verbose_name=_("Warehouse"))
    status = tables.Column(verbose_name=_("Status"))
    origin = tables.Column(verbose_name=_("Origin"))
    created_at = tables.DateTimeColumn(verbose_name=_("Proposed at"), short=True)
    line_count = tables.Column(verbose_name=_("Lines"), attrs=_NUM)
    total_units = tables.Column(verbose_name=_("Units"), attrs=_NUM)
    total_capital = tables.Column(verbose_name=_("Capital tied up"), attrs=_NUM)
    decided_by = tables.Column(accessor="decided_by__username", verbose_name=_("Decided by"))
    decided_at = tables.DateTimeColumn(verbose_name=_("Decided at"), short=True)
    units_cleared = tables.Column(
        accessor="pk", verbose_name=_("Units cleared"), orderable=False, attrs=_NUM
    )
    capital_recovered = tables.Column(
        accessor="pk", verbose_name=_("Capital recovered"), orderable=False, attrs=_NUM
    )
    closed_at = tables.DateTimeColumn(verbose_name=_("Closed at"), short=True)

    class Meta:
        model = ClearanceBatch
        fields = ()
        sequence = (
            "id",
            "warehouse",
            "status",
            "origin",
            "created_at",
            "line_count",
            "total_units",
            "total_capital",
            "decided_by",
            "decided_at",
            "units_cleared",
            "capital_recovered",
            "closed_at",
        )
        order_by = ("-created_at",)

    progress: dict = {}

    def render_total_capital(self, value):
        return number_format(value, 2)

    def render_units_cleared(self, record):
        progress = self.progress.get(record.pk)
        if not progress or not progress.quantity:
            return "—"
        return f"{progress.units_cleared} / {progress.quantity} ({progress.percent} %)"

    def render_capital_recovered(self, record):
        progress = self.progress.get(record.pk)
        if not progress or not progress.quantity:
            return "—"
        return number_format(progress.capital_recovered, 2)

    def value_units_cleared(self, record):
        progress = self.progress.get(record.pk)
        return progress.units_cleared if progress and progress.quantity else ""

    def value_capital_recovered(self, record):
        progress = self.progress.get(record.pk)
        return progress.capital_recovered if progress and progress.quantity else ""
