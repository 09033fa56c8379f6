"""Pages: ageing report, slow movers / at risk, clearance batches (list, detail, approval).

Viewing needs VIEW_STOCK, deciding needs APPROVE (403); objects of another warehouse are 404.
"""

import csv
import functools

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from clearance import selectors, services
from clearance.filters import BatchFilter, SlowMoverFilter
from clearance.forms import AgeingFilterForm, CommentForm, LinesForm, ProposeForm
from clearance.models import BatchStatus, ClearanceLine, LineDecision, Strategy
from clearance.tables import AgeingTable, AtRiskTable, BatchTable, SlowMoverTable
from inventory import table_pages
from inventory.ageing import BUCKET_KEYS, ageing_rows, bucket_totals
from inventory.exports import SafeExportMixin, neutralise_cell
from inventory.permissions import CapabilityRequiredMixin, capability_required
from inventory.roles import Capability, can
from inventory.selectors import warehouses_for

BUCKET_LABELS = {
    "0_30": gettext_lazy("0–30 days"),
    "31_60": gettext_lazy("31–60 days"),
    "61_90": gettext_lazy("61–90 days"),
    "91_180": gettext_lazy("91–180 days"),
    "over_180": gettext_lazy("over 180 days"),
}


class AgeingReportView(
    CapabilityRequiredMixin,
    SafeExportMixin,
    table_pages.PageFiguresMixin,
    SingleTableMixin,
    TemplateView,
):
    capability = Capability.VIEW_STOCK
    table_class = AgeingTable
    template_name = "clearance/ageing_report.html"
    paginate_by = 50
    export_name = "stock-ageing"

    def get_filter_form(self) -> AgeingFilterForm:
        if not hasattr(self, "_form"):
            self._form = AgeingFilterForm(self.request.GET or None, user=self.request.user)
            if self._form.is_bound:
                self._form.is_valid()
        return self._form

    def get_table_data(self):
        """The nightly snapshot (sorted and paginated in SQL) for its own day, the default; the
        FIFO layers computed from the ledger for any other day."""
        if not hasattr(self, "_rows"):
            form = self.get_filter_form()
            self.as_of, self.snapshot, self._rows, self._ledger_rows = None, False, [], []
            if form.is_bound and form.errors:
                return self._rows
            data = form.cleaned_data if form.is_bound else {}
            warehouse, category = data.get("warehouse"), data.get("category")
            search = data.get("q") or ""
            state = selectors.ageing_snapshot_state()
            requested = data.get("as_of")
            if state is not None and requested in (None, state[0]):
                self.as_of, self.snapshot = state[0], True
                # A chosen warehouse was checked to be one of the user's by the form; else all
                # of theirs, read once for both the form's choices and the rows.
                mine = [w.pk for w in form.fields["warehouse"].queryset]
                pairs = selectors.ageing_snapshot_pairs(
                    [warehouse.pk] if warehouse else mine, category=category, search=search
                )
                self._rows = self._full_rows = selectors.ageing_snapshot_rows(pairs)
                self._summary = selectors.ageing_snapshot_summary(self._rows, state)
                if not self.exporting:  # a page sorts ids; its rows are read by key
                    self._rows = selectors.ageing_snapshot_keys(pairs, self._sort_accessors())
                return self._rows
            warehouses = [warehouse] if warehouse else list(warehouses_for(self.request.user))
            self.as_of = requested or timezone.localdate()
            rows = ageing_rows(warehouses, self.as_of, category=category)
            if search:
                needle = search.casefold()
                rows = [r for r in rows if needle in f"{r.seller_sku}\n{r.name}".casefold()]
            self._ledger_rows = rows
            self._rows = [row.as_record() for row in rows]
        return self._rows

    def _sort_accessors(self) -> set[str]:
        """The names the chosen sort orders the rows by (a column's own order, or its data)."""
        column = AgeingTable.base_columns.get(self.sorted_by)
        if column is None:
            return set()
        if column.order_by:
            return {name.lstrip("-") for name in column.order_by}
        return {str(column.accessor or self.sorted_by)}

    def decorate_page(self, table) -> None:
        if self.snapshot:  # the rows by key; the ledger-computed rows are whole already
            table_pages.page_rows_by_key(table, self._full_rows)

    def get_table_pagination(self, table):
        pagination = super().get_table_pagination(table)
        if self.snapshot:  # the snapshot's rows change only with the nightly run
            pagination["paginator_class"] = functools.partial(
                selectors.SnapshotPaginator, count=self._summary.count
            )
        return pagination

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        self.get_table_data()
        if self.snapshot:
            by_warehouse, by_category = self._summary.by_warehouse, self._summary.by_category
        else:
            by_warehouse = bucket_totals(self._ledger_rows, "warehouse")
            by_category = bucket_totals(self._ledger_rows, "category")
        context["filter_form"] = self.get_filter_form()
        context["as_of"] = self.as_of
        context["snapshot"] = self.snapshot
        context["has_rows"] = bool(by_warehouse)
        context["chart"] = {
            "buckets": [str(BUCKET_LABELS[key]) for key in BUCKET_KEYS],
            "by_warehouse": _chart_series(by_warehouse),
            "by_category": _chart_series(by_category),
            "value_label": _("Value"),
        }
        return context


def _chart_series(totals) -> dict:
    return {
        "labels": [t.label or _("No category") for t in totals],
        "values": [[float(t.values[key]) for t in totals] for key in BUCKET_KEYS],
    }


class SlowMoverListView(
    CapabilityRequiredMixin,
    SafeExportMixin,
    table_pages.PageRowsMixin,
    SingleTableMixin,
    FilterView,
):
    capability = Capability.VIEW_STOCK
    table_class = SlowMoverTable
    filterset_class = SlowMoverFilter
    template_name = "clearance/slow_movers.html"
    # The table paginates; ListView's own pagination would count the rows twice.
    table_pagination = {"per_page": 50, "paginator_class": table_pages.CachedCountPaginator}
    export_name = "slow-movers"
    at_risk = False

    def get_full_queryset(self):
        return selectors.slow_movers_for(self.request.user)

    def get_sort_queryset(self):
        # Whether a pair is in an open batch is a subquery a row: only to sort by it.
        open_batch = self.sorted_by == "in_open_batch"
        return selectors.slow_movers_for(self.request.user, open_batch=open_batch)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["at_risk"] = self.at_risk
        context["rule"] = settings.STOCKWISE
        context["can_approve"] = can(self.request.user, Capability.APPROVE)
        context["propose_form"] = ProposeForm(user=self.request.user)
        return context


class AtRiskListView(SlowMoverListView):
    table_class = AtRiskTable
    export_name = "at-risk"
    at_risk = True

    def get_full_queryset(self):
        return selectors.at_risk_for(self.request.user)

    def get_sort_queryset(self):
        open_batch = self.sorted_by == "in_open_batch"
        return selectors.at_risk_for(self.request.user, open_batch=open_batch)


class BatchListView(CapabilityRequiredMixin, SafeExportMixin, SingleTableMixin, FilterView):
    capability = Capability.VIEW_STOCK
    table_class = BatchTable
    filterset_class = BatchFilter
    template_name = "clearance/batch_list.html"
    # The table paginates; ListView's own pagination would count the rows twice.
    table_pagination = {"per_page": 25}
    export_name = "clearance-batches"

    def get_queryset(self):
        return selectors.batches_for(self.request.user)

    def create_export(self, export_format):
        # The export holds every filtered batch, so it needs the progress of all of them.
        table = self.get_table(**self.get_table_kwargs())
        table.progress = selectors.batches_progress([batch.pk for batch in table.data])
        exporter = self.export_class(
            export_format=export_format,
            table=table,
            exclude_columns=self.exclude_columns,
            dataset_kwargs=self.get_dataset_kwargs(),
        )
        return exporter.response(filename=self.get_export_filename(export_format))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        table = context["table"]
        ids = [row.record.pk for row in table.paginated_rows]
        table.progress = selectors.batches_progress(ids)
        context["can_approve"] = can(self.request.user, Capability.APPROVE)
        context["propose_form"] = ProposeForm(user=self.request.user)
        return context


@require_POST
@capability_required(Capability.APPROVE)
def batch_propose(request):
    """The "propose now" button: one batch for the chosen warehouse."""
    form = ProposeForm(request.POST, user=request.user)
    if not form.is_valid():
        messages.error(request, _("Choose one of your warehouses."))
        return redirect("clearance:batch_list")
    batch = services.batch_propose(warehouse=form.cleaned_data["warehouse"], user=request.user)
    if batch is None:
        messages.info(
            request,
            _("No slow mover in %(warehouse)s that is not already in an open batch.")
            % {"warehouse": form.cleaned_data["warehouse"].code},
        )
        return redirect("clearance:batch_list")
    messages.success(request, _("Batch #%(id)s proposed.") % {"id": batch.pk})
    return redirect(batch)


@capability_required(Capability.VIEW_STOCK)
def batch_detail(request, pk: int):
    batch = selectors.batch_for_user(request.user, pk)
    return _render_detail(request, batch)


def _render_detail(request, batch, lines_form=None, status=200):
    lines = selectors.batch_lines(batch)
    can_approve = can(request.user, Capability.APPROVE)
    editable = can_approve and batch.status == BatchStatus.PROPOSED
    if editable and lines_form is None:
        lines_form = LinesForm(lines=lines)
    if lines_form is not None:
        # Show the lines fetched with progress, with the posted values when re-displayed.
        by_pk = {line.pk: line for line in lines}
        lines_form.lines = [by_pk[line.pk] for line in lines_form.lines]
    total = selectors.Progress()
    for line in lines:
        total.add(line.progress)
    context = {
        "rule": settings.STOCKWISE,
        "batch": batch,
        "lines": lines,
        "lines_form": lines_form if editable else None,
        "comment_form": CommentForm(),
        "can_approve": can_approve,
        "total": total,
        "has_promotions": any(
            line.strategy == Strategy.PROMOTION and line.decision == LineDecision.APPROVED
            for line in lines
        ),
    }
    return render(request, "clearance/batch_detail.html", context, status=status)


def _batch_for_decision(request, pk):
    return selectors.batch_for_user(request.user, pk)


@require_POST
@capability_required(Capability.APPROVE)
def batch_lines_save(request, pk: int):
    batch = _batch_for_decision(request, pk)
    lines = list(batch.lines.select_related("sku").order_by("-capital", "id"))
    form = LinesForm(request.POST, lines=lines)
    if not form.is_valid():
        messages.error(request, _("Some lines are not valid: see the marked fields."))
        return _render_detail(request, batch, form, status=400)
    try:
        services.lines_update(batch=batch, user=request.user, edits=form.edits())
    except ValidationError as exc:
        for message in exc.messages:
            form.add_error(None, message)
        return _render_detail(request, batch, form, status=400)
    messages.success(request, _("Decisions saved."))
    return redirect(batch)


def _batch_action(request, pk, action, success):
    batch = _batch_for_decision(request, pk)
    form = CommentForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    try:
        action(batch=batch, user=request.user, comment=comment)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, success)
    return redirect(batch)


@require_POST
@capability_required(Capability.APPROVE)
def batch_approve(request, pk: int):
    return _batch_action(request, pk, services.batch_approve, _("Batch approved."))


@require_POST
@capability_required(Capability.APPROVE)
def batch_reject(request, pk: int):
    return _batch_action(request, pk, services.batch_reject, _("Batch rejected."))


@require_POST
@capability_required(Capability.APPROVE)
def batch_close(request, pk: int):
    return _batch_action(request, pk, services.batch_close, _("Batch closed."))


@require_POST
@capability_required(Capability.APPROVE)
def line_done(request, pk: int, line_pk: int):
    batch = _batch_for_decision(request, pk)
    line = get_object_or_404(ClearanceLine, pk=line_pk, batch=batch)
    was_done = line.done
    try:
        line = services.line_mark_done(line=line, user=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(batch)
    if was_done:
        messages.info(request, _("%(sku)s was already done.") % {"sku": line.sku.seller_sku})
    elif line.movement_id:
        messages.success(
            request,
            _("%(sku)s done: %(qty)s units posted as %(kind)s.")
            % {
                "sku": line.sku.seller_sku,
                "qty": -line.movement.quantity,
                "kind": line.movement.get_kind_display(),
            },
        )
    else:
        messages.success(request, _("%(sku)s done.") % {"sku": line.sku.seller_sku})
    return redirect(batch)


@capability_required(Capability.VIEW_STOCK)
def batch_promotions_csv(request, pk: int):
    """Approved PROMOTION lines as a CSV the seller can load into a TikTok Shop promotion."""
    batch = selectors.batch_for_user(request.user, pk)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="clearance-{batch.pk}-{batch.warehouse.code}-promotions.csv"'
    )
    response.write("\ufeff")  # Excel opens UTF-8 only with a BOM
    writer = csv.writer(response)
    writer.writerow(["seller_sku", "sku_id", "price", "discount_percent", "deal_price", "quantity"])
    for line in selectors.promotion_lines(batch):
        writer.writerow(
            [
                neutralise_cell(value)
                for value in (
                    line.sku.seller_sku,
                    line.sku.tiktok_sku_id,
                    str(line.unit_price),
                    f"{line.discount.normalize():f}",
                    str(line.deal_price),
                    line.quantity,
                )
            ]
        )
    return response
