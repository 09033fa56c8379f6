from decimal import Decimal

import django_tables2 as tables
from django.contrib import messages
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db.models import DecimalField, F, Sum, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.generic import DetailView, FormView
from django_filters.views import FilterView
from django_tables2 import LazyPaginator, RequestConfig, SingleTableMixin

from inventory import audit, catalog, dashboard, hooks, selectors, services, table_pages
from inventory.exports import SafeExportMixin
from inventory.filters import MovementFilter, SKUFilter, WarehouseFilter
from inventory.forms import MovementPostForm, SKUParametersForm
from inventory.models import SKU
from inventory.notices import open_admin_notices
from inventory.permissions import CapabilityRequiredMixin, capability_required
from inventory.roles import Capability, can
from inventory.tables import MovementTable, SKUTable, WarehouseTable


def home(request):
    """Landing page after login: every app's tiles for the user's role and warehouses, the
    turnover trend (loaded after the page), open turnover notices for managers, and open admin
    notices (a ledger mismatch) for admins."""
    warehouses = dashboard.user_warehouses(request)
    context = {
        "admin_notices": (
            list(open_admin_notices()) if can(request.user, Capability.ADMINISTER) else []
        ),
        "warehouses": warehouses,
        "tiles": dashboard.collect_tiles(request) if warehouses else [],
        "notices": dashboard.dashboard_notices(request) if warehouses else [],
        "getting_started": bool(warehouses) and not selectors.ledger_has_movements(warehouses),
    }
    return render(request, "inventory/home.html", context)


class SKUListView(
    CapabilityRequiredMixin,
    SafeExportMixin,
    table_pages.PageFiguresMixin,
    SingleTableMixin,
    FilterView,
):
    capability = Capability.VIEW_STOCK
    table_class = SKUTable
    filterset_class = SKUFilter
    template_name = "inventory/sku_list.html"
    # The table paginates; ListView's own pagination would count the rows twice.
    table_pagination = {"per_page": 50, "paginator_class": table_pages.CachedCountPaginator}
    export_name = "skus"

    def get_queryset(self):
        """The page's SKUs, sorted and paginated as ids alone; `add_page_figures` then reads
        the page's 50 SKUs with their category, supplier and per-user figures (on hand, the
        apps' columns) in one query. Sorting a category's 12k SKUs by on hand carried every
        column of every SKU through the grouping and the sort: 55 ms at 100k SKUs, 27 ms as
        ids. A figure is in the sorting query only when the rows are sorted by it (on hand as
        one join, not a subquery per SKU); an export reads whole rows with every figure."""
        user = self.request.user
        if self.exporting:
            whole = SKU.objects.select_related("category", "supplier")
            return _with_app_columns(selectors.with_on_hand_sortable(whole, user), user)
        rows = SKU.objects.only("pk")
        if self.sorted_by == "on_hand":
            rows = selectors.with_on_hand_sortable(rows, user)
        for column in hooks.sku_list_columns:
            if self.sorted_by == column.name:
                rows = column.annotate(rows, user)
        return rows

    def add_page_figures(self, records) -> list:
        user = self.request.user
        whole = SKU.objects.select_related("category", "supplier")
        return table_pages.rows_in_order(
            _with_app_columns(selectors.with_on_hand(whole, user), user), records
        )

    def get_table_kwargs(self):
        extra = [
            (c.name, tables.DateTimeColumn(verbose_name=c.verbose_name, short=True))
            for c in hooks.sku_list_columns
        ]
        return {"extra_columns": extra}


def _with_app_columns(skus, user):
    """The apps' per-user columns of the SKU list (`hooks.sku_list_columns`), annotated."""
    for column in hooks.sku_list_columns:
        skus = column.annotate(skus, user)
    return skus


class SKUDetailView(CapabilityRequiredMixin, DetailView):
    capability = Capability.VIEW_STOCK
    model = SKU
    template_name = "inventory/sku_detail.html"
    context_object_name = "sku"

    def get_queryset(self):
        return SKU.objects.select_related("category", "supplier")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        movements = MovementTable(
            selectors.movements_for(user).filter(sku=self.object), exclude=("sku",)
        )
        RequestConfig(self.request, paginate={"per_page": 25}).configure(movements)
        context["balances"] = selectors.sku_balances(self.object, user)
        context["movements"] = movements
        context["can_edit"] = can(user, Capability.EDIT_SKU)
        context["history"] = audit_rows(audit.history_for(self.object)[:50], SKU)
        return context


@capability_required(Capability.EDIT_SKU)
def sku_edit(request, pk: int):
    """A manager edits the SKU's planning parameters; each change lands in its audit history."""
    sku = get_object_or_404(SKU.objects.select_related("category", "supplier"), pk=pk)
    # The form validates against its own copy: the service compares with the stored values.
    form = SKUParametersForm(request.POST or None, instance=SKU.objects.get(pk=pk))
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            catalog.sku_update(sku=sku, user=request.user, source="web", **fields)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Parameters of %(sku)s saved.") % {"sku": sku.seller_sku})
            return redirect(sku)
    return render(request, "inventory/sku_form.html", {"sku": sku, "form": form})


def audit_rows(entries, model) -> list[dict]:
    """Audit entries with field labels, for a history table: who, when, what changed."""
    rows = []
    for entry in entries:
        changes = []
        for name in sorted(set(entry.before) | set(entry.after)):
            try:
                label = model._meta.get_field(name).verbose_name
            except FieldDoesNotExist:  # a key that is not a field (e.g. "status")
                label = name
            changes.append(
                {"field": label, "before": entry.before.get(name), "after": entry.after.get(name)}
            )
        rows.append({"entry": entry, "changes": changes})
    return rows


class MovementListView(CapabilityRequiredMixin, SafeExportMixin, SingleTableMixin, FilterView):
    capability = Capability.VIEW_STOCK
    table_class = MovementTable
    filterset_class = MovementFilter
    template_name = "inventory/movement_list.html"
    # The table paginates; ListView's own pagination would count the rows twice.
    # The ledger runs to millions of rows: pages link onwards without counting them all
    # (a COUNT(*) over 10M movements took 1.6 s), like a log.
    table_pagination = {"per_page": 50, "paginator_class": LazyPaginator}
    export_name = "movements"

    def get_queryset(self):
        return selectors.movements_for(self.request.user)


@capability_required(Capability.VIEW_STOCK)
def movement_detail(request, pk: int):
    movement = selectors.movement_for_user(request.user, pk)
    return render(request, "inventory/movement_detail.html", {"movement": movement})


class WarehouseListView(CapabilityRequiredMixin, SafeExportMixin, SingleTableMixin, FilterView):
    capability = Capability.VIEW_STOCK
    table_class = WarehouseTable
    filterset_class = WarehouseFilter
    template_name = "inventory/warehouse_list.html"
    paginate_by = 50
    export_name = "warehouses"

    def get_queryset(self):
        return (
            selectors.warehouses_for(self.request.user)
            .annotate(
                units=Coalesce(Sum("balances__on_hand"), 0),
                value=Coalesce(
                    Sum(F("balances__on_hand") * F("balances__sku__unit_cost")),
                    Value(Decimal("0")),
                    output_field=DecimalField(max_digits=20, decimal_places=4),
                ),
            )
            .order_by("code")
        )


@capability_required(Capability.VIEW_STOCK)
def warehouse_detail(request, code: str):
    warehouse = selectors.warehouse_for_user(request.user, code)
    table = MovementTable(
        selectors.movements_for(request.user).filter(warehouse=warehouse), exclude=("warehouse",)
    )
    RequestConfig(request, paginate={"per_page": 25}).configure(table)
    return render(
        request, "inventory/warehouse_detail.html", {"warehouse": warehouse, "movements": table}
    )


class MovementPostView(FormView):
    """Receipt / adjustment / transfer. Refusals (e.g. not enough stock) show on the form."""

    form_class = MovementPostForm
    template_name = "inventory/movement_form.html"

    def dispatch(self, request, *args, **kwargs):
        if not (
            can(request.user, Capability.PURCHASE) or can(request.user, Capability.POST_MOVEMENTS)
        ):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        initial = super().get_initial()
        if sku := self.request.GET.get("sku"):
            initial["sku"] = sku
        return initial

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            if data["action"] == form.TRANSFER:
                posted, _in = services.transfer_post(
                    from_warehouse=data["warehouse"],
                    to_warehouse=data["to_warehouse"],
                    sku=data["sku"],
                    quantity=data["quantity"],
                    user=self.request.user,
                    note=data["note"],
                )
            else:
                posted = services.movement_post(
                    warehouse=data["warehouse"],
                    sku=data["sku"],
                    kind=form.movement_kind(),
                    quantity=data["quantity"],
                    unit_cost=data["unit_cost"],
                    user=self.request.user,
                    note=data["note"],
                )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
            return self.form_invalid(form)
        movement = posted.movement
        messages.success(
            self.request,
            _("Posted: %(kind)s %(qty)+d of %(sku)s in %(warehouse)s.")
            % {
                "kind": movement.get_kind_display(),
                "qty": movement.quantity,
                "sku": movement.sku.seller_sku,
                "warehouse": movement.warehouse.code,
            },
        )
        return redirect(data["sku"].get_absolute_url())


def sku_by_code(request, seller_sku: str):
    """Stable link by natural key (emails and exports use it)."""
    return redirect(get_object_or_404(SKU, seller_sku=seller_sku))
