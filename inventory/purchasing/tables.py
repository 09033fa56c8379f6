import django_tables2 as tables
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from inventory.models import PurchaseOrder
from inventory.stable_order import StableTable

_NUM = {"td": {"class": "text-end"}, "th": {"class": "text-end"}}


class PurchaseOrderTable(StableTable):
    number = tables.Column(
        verbose_name=_("Number"),
        linkify=lambda record: reverse("inventory:po_detail", args=[record.number]),
    )
    warehouse = tables.Column(accessor="warehouse__code", verbose_name=_("Warehouse"))
    supplier = tables.Column(accessor="supplier__name", verbose_name=_("Supplier"))
    status = tables.Column(verbose_name=_("Status"))
    ordered_at = tables.DateTimeColumn(verbose_name=_("Ordered at"), short=True)
    line_count = tables.Column(verbose_name=_("Lines"), attrs=_NUM)
    ordered_units = tables.Column(verbose_name=_("Ordered"), attrs=_NUM)
    received_units = tables.Column(verbose_name=_("Received"), attrs=_NUM)
    open_units = tables.Column(verbose_name=_("Open"), attrs=_NUM)
    total_value = tables.Column(verbose_name=_("Value"), attrs=_NUM)
    created_at = tables.DateTimeColumn(verbose_name=_("Created at"), short=True)

    class Meta:
        model = PurchaseOrder
        fields = (
            "number",
            "warehouse",
            "supplier",
            "status",
            "ordered_at",
            "line_count",
            "ordered_units",
            "received_units",
            "open_units",
            "total_value",
            "created_at",
        )
        order_by = "-created_at"
