import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from alerts.explain import advice_reason
from alerts.models import Alert, PlanningFigures
from inventory.links import pk_url
from inventory.stable_order import StableTable
from inventory.tables import TickBoxColumn

NUM = {"td": {"class": "text-end"}, "th": {"class": "text-end"}}


def _sku_link(record):
    return pk_url("inventory:sku_detail", record.sku_id)


class DaysColumn(tables.Column):
    """Days of cover: null means infinite (no demand)."""

    def render(self, value):
        return f"{value:.1f}"

    def value(self, value):
        return "" if value is None else round(value, 1)


class StatusColumn(tables.Column):
    CSS = {
        "STOCKOUT": "danger",
        "BELOW_SAFETY": "danger",
        "REORDER": "warning",
        "OVERSTOCK": "info",
        "OK": "success",
        "PAUSE": "danger",
        "REDUCE": "warning",
        "PUSH": "info",
        "KEEP": "secondary",
    }

    def render(self, value, record, bound_column):
        # django-tables2 hands choice fields over as their label; the code picks the colour.
        code = bound_column.accessor.resolve(record)
        return format_html('<span class="badge text-bg-{}">{}</span>', self.CSS.get(code), value)

    def value(self, record, bound_column):
        return bound_column.accessor.resolve(record)


class ReplenishmentTable(StableTable):
    select = TickBoxColumn(
        accessor="pk",
        attrs={"input": {"name": "rows", "form": "po-form"}},
        exclude_from_export=True,
    )
    warehouse = tables.Column(accessor="warehouse__code", verbose_name=_("Warehouse"))
    # The name shows under the SKU (one column less on screen); exports keep both columns.
    sku = tables.Column(accessor="sku__seller_sku", verbose_name=_("SKU"))
    name = tables.Column(accessor="sku__name", verbose_name=_("Name"), visible=False)
    supplier = tables.Column(accessor="sku__supplier__name", verbose_name=_("Supplier"))
    abc_class = tables.Column(verbose_name=_("ABC"), default="—")
    status = StatusColumn(verbose_name=_("Status"))
    on_hand = tables.Column(verbose_name=_("On hand"), attrs=NUM)
    on_order = tables.Column(verbose_name=_("On order"), attrs=NUM)
    avg_daily_demand = tables.Column(verbose_name=_("Avg daily demand"), attrs=NUM)
    lead_time_days = tables.Column(verbose_name=_("Lead time (days)"), attrs=NUM)
    safety_stock_units = tables.Column(verbose_name=_("Safety stock"), attrs=NUM)
    reorder_point_units = tables.Column(verbose_name=_("Reorder point"), attrs=NUM)
    suggested_order_qty = tables.Column(verbose_name=_("Suggested order"), attrs=NUM)
    days_of_cover = DaysColumn(verbose_name=_("Days of cover"), attrs=NUM, default="∞")
    ad_advice = StatusColumn(verbose_name=_("Ad advice"))
    # The same for every row (the nightly recompute): the page states it once above the table.
    computed_at = tables.DateTimeColumn(verbose_name=_("Computed at"), short=True, visible=False)

    class Meta:
        model = PlanningFigures
        fields = ()
        sequence = (
            "select",
            "warehouse",
            "sku",
            "name",
            "supplier",
            "abc_class",
            "status",
            "on_hand",
            "on_order",
            "avg_daily_demand",
            "lead_time_days",
            "safety_stock_units",
            "reorder_point_units",
            "suggested_order_qty",
            "days_of_cover",
            "ad_advice",
            "computed_at",
        )

    def render_sku(self, value, record):
        return format_html(
            '<a href="{}">{}</a><div class="small text-muted">{}</div>',
            _sku_link(record),
            value,
            record.sku.name,
        )

    def value_sku(self, value):
        return value

    def render_avg_daily_demand(self, value):
        return f"{value:.2f}"

    def value_avg_daily_demand(self, value):
        return round(value, 4)


class AdAdviceTable(StableTable):
    warehouse = tables.Column(accessor="warehouse__code", verbose_name=_("Warehouse"))
    sku = tables.Column(accessor="sku__seller_sku", verbose_name=_("SKU"), linkify=_sku_link)
    name = tables.Column(accessor="sku__name", verbose_name=_("Name"))
    ad_advice = StatusColumn(verbose_name=_("Ad advice"))
    status = StatusColumn(verbose_name=_("Status"))
    on_hand = tables.Column(verbose_name=_("On hand"), attrs=NUM)
    days_of_cover = DaysColumn(verbose_name=_("Days of cover"), attrs=NUM, default="∞")
    lead_time_days = tables.Column(verbose_name=_("Lead time (days)"), attrs=NUM)
    slow_mover = tables.BooleanColumn(verbose_name=_("Slow mover"))
    reason = tables.Column(accessor="pk", verbose_name=_("Why"), orderable=False, empty_values=())

    class Meta:
        model = PlanningFigures
        fields = ()
        sequence = (
            "warehouse",
            "sku",
            "name",
            "ad_advice",
            "status",
            "on_hand",
            "days_of_cover",
            "lead_time_days",
            "slow_mover",
            "reason",
        )

    def render_reason(self, record):
        return advice_reason(record)

    def value_reason(self, record):
        return advice_reason(record)


class AlertTable(StableTable):
    warehouse = tables.Column(accessor="warehouse__code", verbose_name=_("Warehouse"))
    sku = tables.Column(accessor="sku__seller_sku", verbose_name=_("SKU"), linkify=_sku_link)
    status = StatusColumn(verbose_name=_("Status"))
    severity = tables.Column(verbose_name=_("Severity"))
    on_hand_at_open = tables.Column(verbose_name=_("On hand when opened"), attrs=NUM)
    reorder_point_units = tables.Column(verbose_name=_("Reorder point"), attrs=NUM)
    opened_at = tables.DateTimeColumn(verbose_name=_("Opened"), short=True)
    acknowledged = tables.TemplateColumn(
        template_name="alerts/_acknowledge_cell.html",
        verbose_name=_("Acknowledged"),
        orderable=False,
        empty_values=(),
        exclude_from_export=True,
    )
    acknowledged_by = tables.Column(
        accessor="acknowledged_by__username", verbose_name=_("Acknowledged by"), visible=False
    )
    acknowledged_at = tables.DateTimeColumn(verbose_name=_("Acknowledged at"), visible=False)
    resolved_at = tables.DateTimeColumn(verbose_name=_("Resolved"), short=True)

    class Meta:
        model = Alert
        fields = ()
        sequence = (
            "warehouse",
            "sku",
            "status",
            "severity",
            "on_hand_at_open",
            "reorder_point_units",
            "opened_at",
            "acknowledged",
            "acknowledged_by",
            "acknowledged_at",
            "resolved_at",
        )
