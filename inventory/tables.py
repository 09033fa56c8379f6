from decimal import Decimal

import django_tables2 as tables
from django.utils.formats import number_format
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from inventory.models import SKU, ImportJob, StockMovement, Warehouse
from inventory.stable_order import StableTable

NUM = {"td": {"class": "num"}, "th": {"class": "num"}}


class TickBoxColumn(tables.CheckBoxColumn):
    """`CheckBoxColumn` whose box is built once a table when only its value differs by row
    (no `checked`, no computed attributes): the library merges, escapes and joins the same
    attributes for every row (about a quarter of a 100-row replenishment page's cells' time)."""

    _MARK = "\x00value\x00"  # stands for the row's value while the box is built once

    def render(self, value, bound_column, record):
        attrs = self.attrs.get("td__input") or self.attrs.get("input") or {}
        if self.checked is not None or any(callable(v) for v in attrs.values()):
            return super().render(value, bound_column, record)
        around = getattr(self, "_around", None)
        if around is None or around[0] != bound_column.name:
            html = super().render(self._MARK, bound_column, record)
            around = self._around = (bound_column.name, *html.split(self._MARK))
        _name, head, tail = around
        return mark_safe(f"{head}{conditional_escape(value)}{tail}")  # noqa: S308 - escaped


class SKUTable(StableTable):
    # Every sort ends on the id, so SKUs with the same value keep one order from page to page
    # (an index on (column, id) serves the common ones).
    seller_sku = tables.Column(linkify=True, verbose_name=_("Seller SKU"))
    name = tables.Column(verbose_name=_("Name"), order_by=("name", "id"))
    category = tables.Column(
        accessor="category__name", verbose_name=_("Category"), order_by=("category__name", "id")
    )
    supplier = tables.Column(
        accessor="supplier__name", verbose_name=_("Supplier"), order_by=("supplier__name", "id")
    )
    unit_cost = tables.Column(verbose_name=_("Unit cost"), order_by=("unit_cost", "id"))
    unit_price = tables.Column(verbose_name=_("Unit price"), order_by=("unit_price", "id"))
    on_hand = tables.Column(
        verbose_name=_("On hand"), attrs={"td": {"class": "text-end"}}, order_by=("on_hand", "id")
    )
    active = tables.BooleanColumn(verbose_name=_("Active"), order_by=("active", "id"))

    class Meta:
        model = SKU
        fields = (
            "seller_sku",
            "tiktok_sku_id",
            "name",
            "category",
            "supplier",
            "unit_cost",
            "unit_price",
            "on_hand",
            "active",
        )
        order_by = "seller_sku"


class MovementTable(StableTable):
    id = tables.Column(linkify=True, verbose_name="#")
    occurred_at = tables.DateTimeColumn(verbose_name=_("Occurred at"), short=True)
    warehouse = tables.Column(accessor="warehouse__code", verbose_name=_("Warehouse"))
    sku = tables.Column(
        accessor="sku__seller_sku",
        verbose_name=_("SKU"),
        linkify=lambda record: record.sku.get_absolute_url(),
    )
    kind = tables.Column(verbose_name=_("Kind"))
    quantity = tables.Column(verbose_name=_("Quantity"), attrs={"td": {"class": "text-end"}})
    unit_cost = tables.Column(verbose_name=_("Unit cost"))
    source = tables.Column(verbose_name=_("Source"))
    external_ref = tables.Column(verbose_name=_("External reference"))
    user = tables.Column(accessor="user__username", verbose_name=_("User"))

    class Meta:
        model = StockMovement
        fields = (
            "id",
            "occurred_at",
            "warehouse",
            "sku",
            "kind",
            "quantity",
            "unit_cost",
            "source",
            "external_ref",
            "user",
            "note",
        )
        order_by = "-occurred_at"


class ImportJobTable(StableTable):
    id = tables.Column(linkify=True, verbose_name="#")
    created_at = tables.DateTimeColumn(verbose_name=_("Uploaded at"), short=True)
    kind = tables.Column(verbose_name=_("Kind"))
    warehouse = tables.Column(accessor="warehouse__code", verbose_name=_("Warehouse"))
    original_name = tables.Column(verbose_name=_("File"))
    status = tables.Column(verbose_name=_("Status"))
    user = tables.Column(accessor="user__username", verbose_name=_("User"))

    class Meta:
        model = ImportJob
        fields = ("id", "created_at", "kind", "warehouse", "original_name", "status", "user")
        order_by = "-created_at"


class WarehouseTable(StableTable):
    """The user's warehouses with units on hand and stock value (annotated by the view)."""

    code = tables.Column(linkify=True, verbose_name=_("Code"))
    name = tables.Column(verbose_name=_("Name"))
    timezone = tables.Column(verbose_name=_("Time zone"))
    units = tables.Column(verbose_name=_("Units on hand"), attrs=NUM, default=0)
    value = tables.Column(verbose_name=_("Stock value"), attrs=NUM, default=0)

    class Meta:
        model = Warehouse
        fields = ("code", "name", "timezone", "units", "value")
        order_by = "code"

    def render_units(self, value):
        return number_format(value, force_grouping=True)

    def render_value(self, value):
        return number_format(value, decimal_pos=2, force_grouping=True)

    # Exports carry plain numbers (no thousands separators) for spreadsheets.
    def value_units(self, value):
        return value

    def value_value(self, value):
        return Decimal(value).quantize(Decimal("0.01"))
