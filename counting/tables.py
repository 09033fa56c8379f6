import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from counting.models import CountLine, CountSession
from inventory.stable_order import StableTable


def _ira_text(within: int, judged: int) -> str:
    return f"{100 * within / judged:.1f} %" if judged else "—"


class CountSessionTable(StableTable):
    id = tables.Column(linkify=True, verbose_name="#")
    warehouse = tables.Column(accessor="warehouse__code", verbose_name=_("Warehouse"))
    kind = tables.Column(verbose_name=_("Kind"))
    status = tables.Column(verbose_name=_("Status"))
    line_count = tables.Column(verbose_name=_("Lines"), attrs={"td": {"class": "num"}})
    counted_count = tables.Column(verbose_name=_("Counted"), attrs={"td": {"class": "num"}})
    ira = tables.Column(
        verbose_name=_("IRA"),
        accessor="within_count",
        orderable=False,
        attrs={"td": {"class": "num"}},
    )
    created_at = tables.DateTimeColumn(verbose_name=_("Created"), short=True)
    created_by = tables.Column(accessor="created_by__username", verbose_name=_("Created by"))
    approved_at = tables.DateTimeColumn(verbose_name=_("Approved"), short=True)
    approved_by = tables.Column(accessor="approved_by__username", verbose_name=_("Approved by"))

    class Meta:
        model = CountSession
        fields = (
            "id",
            "warehouse",
            "kind",
            "status",
            "scheduled_for",
            "line_count",
            "counted_count",
            "ira",
            "created_at",
            "created_by",
            "approved_at",
            "approved_by",
        )
        order_by = "-id"

    def render_ira(self, record):
        return _ira_text(record.within_count, record.judged_count)

    def value_ira(self, record):
        return _ira_text(record.within_count, record.judged_count)


def line_state(line: CountLine) -> str:
    """What a counter may know about a line: counted or not, recount asked or done."""
    if line.recount_required:
        return _("Recounted") if line.recount_qty is not None else _("Recount requested")
    if line.counted_qty is None:
        return _("Not counted")
    return _("Counted")


class BlindLineTable(StableTable):
    """Lines as a counter sees them: no expected quantity, no variance, no counted figure."""

    sku = tables.Column(accessor="sku__seller_sku", verbose_name=_("Seller SKU"))
    name = tables.Column(accessor="sku__name", verbose_name=_("Name"))
    bin = tables.Column(verbose_name=_("Bin"))
    reason = tables.Column(verbose_name=_("Why"))
    state = tables.Column(empty_values=(), orderable=False, verbose_name=_("State"))

    class Meta:
        model = CountLine
        fields = ("sku", "name", "bin", "reason", "state")

    def render_state(self, record):
        return line_state(record)


class ReviewLineTable(StableTable):
    """Both counts, the expected quantities and the variance in units and value (managers)."""

    sku = tables.Column(
        accessor="sku__seller_sku",
        verbose_name=_("Seller SKU"),
        linkify=("counting:sku_history", {"seller_sku": tables.A("sku__seller_sku")}),
    )
    name = tables.Column(accessor="sku__name", verbose_name=_("Name"))
    abc_class = tables.Column(verbose_name=_("Class"))
    counted_qty = tables.Column(verbose_name=_("First count"), attrs={"td": {"class": "num"}})
    expected_qty = tables.Column(verbose_name=_("Expected"), attrs={"td": {"class": "num"}})
    first_within_tolerance = tables.BooleanColumn(verbose_name=_("Within tolerance"))
    recount_qty = tables.Column(verbose_name=_("Recount"), attrs={"td": {"class": "num"}})
    recount_expected_qty = tables.Column(
        verbose_name=_("Expected at recount"), attrs={"td": {"class": "num"}}
    )
    counters = tables.Column(empty_values=(), orderable=False, verbose_name=_("Counted by"))
    variance = tables.Column(verbose_name=_("Variance"), attrs={"td": {"class": "num"}})
    variance_value = tables.Column(
        verbose_name=_("Variance value"), attrs={"td": {"class": "num"}}, orderable=True
    )

    class Meta:
        model = CountLine
        fields = (
            "sku",
            "name",
            "abc_class",
            "counted_qty",
            "expected_qty",
            "first_within_tolerance",
            "recount_qty",
            "recount_expected_qty",
            "counters",
            "variance",
            "variance_value",
        )

    def render_counters(self, record):
        first = record.counted_by.username if record.counted_by else "—"
        if record.recount_by:
            return format_html("{} / {}", first, record.recount_by.username)
        return first

    def render_variance(self, value):
        return f"{value:+d}"

    def render_variance_value(self, value):
        return f"{value:+.2f}"


class HistoryTable(StableTable):
    session = tables.Column(
        accessor="session_id",
        verbose_name=_("Count"),
        linkify=lambda record: record.session.get_absolute_url(),
    )
    warehouse = tables.Column(accessor="session__warehouse__code", verbose_name=_("Warehouse"))
    kind = tables.Column(accessor="session__kind", verbose_name=_("Kind"))
    status = tables.Column(accessor="session__status", verbose_name=_("Status"))
    counted_at = tables.DateTimeColumn(verbose_name=_("Counted at"), short=True)
    counted_qty = tables.Column(verbose_name=_("First count"), attrs={"td": {"class": "num"}})
    recount_qty = tables.Column(verbose_name=_("Recount"), attrs={"td": {"class": "num"}})
    expected_qty = tables.Column(verbose_name=_("Expected"), attrs={"td": {"class": "num"}})
    variance = tables.Column(verbose_name=_("Variance"), attrs={"td": {"class": "num"}})
    first_within_tolerance = tables.BooleanColumn(verbose_name=_("Within tolerance"))

    class Meta:
        model = CountLine
        fields = (
            "session",
            "warehouse",
            "kind",
            "status",
            "counted_at",
            "counted_qty",
            "recount_qty",
            "expected_qty",
            "variance",
            "first_within_tolerance",
        )
        order_by = "-counted_at"
