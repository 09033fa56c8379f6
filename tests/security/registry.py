"""The registry of parametrised URLs for the scoping tests (test_object_scoping, test_csrf).

Every URL pattern that takes a path parameter must be here: in SCOPED with a builder of the URL
of one warehouse's object (the tests check that a user of another warehouse gets 404), or in
GLOBAL with the reason it is not scoped by warehouse. Add a line when you add such a URL.
"""

from collections.abc import Callable

from django.urls import URLPattern, URLResolver, get_resolver

from tests.security.world import Side

# URL name -> the URL of that side's object.
SCOPED: dict[str, Callable[[Side], str]] = {
    # Pages
    "inventory:movement_detail": lambda s: f"/movements/{s.movement.pk}/",
    "inventory:warehouse_detail": lambda s: f"/warehouses/{s.warehouse.code}/",
    "inventory:import_detail": lambda s: f"/imports/{s.import_job.pk}/",
    "inventory:import_status": lambda s: f"/imports/{s.import_job.pk}/status/",
    "inventory:po_detail": lambda s: f"/purchase-orders/{s.po_number}/",
    "inventory:po_receive": lambda s: f"/purchase-orders/{s.po_number}/receive/",
    "inventory:po_send": lambda s: f"/purchase-orders/{s.po_number}/send/",
    "inventory:po_cancel": lambda s: f"/purchase-orders/{s.po_number}/cancel/",
    "counting:session_detail": lambda s: f"/counts/{s.count_pk}/",
    "counting:session_start": lambda s: f"/counts/{s.count_pk}/start/",
    "counting:session_submit": lambda s: f"/counts/{s.count_pk}/submit/",
    "counting:review": lambda s: f"/counts/{s.count_pk}/review/",
    "counting:session_approve": lambda s: f"/counts/{s.count_pk}/approve/",
    "counting:session_reject": lambda s: f"/counts/{s.count_pk}/reject/",
    "counting:entry": lambda s: f"/counts/{s.count_pk}/enter/",
    "counting:undo": lambda s: f"/counts/{s.count_pk}/enter/undo/",
    "counting:sheet": lambda s: f"/counts/{s.count_pk}/sheet/",
    "counting:sheet_xlsx": lambda s: f"/counts/{s.count_pk}/sheet.xlsx",
    "counting:sheet_import": lambda s: f"/counts/{s.count_pk}/import/",
    "alerts:alert_acknowledge": lambda s: f"/alerts/{s.alert_pk}/acknowledge/",
    "clearance:batch_detail": lambda s: f"/clearance/batches/{s.batch_pk}/",
    "clearance:batch_lines_save": lambda s: f"/clearance/batches/{s.batch_pk}/lines/",
    "clearance:batch_approve": lambda s: f"/clearance/batches/{s.batch_pk}/approve/",
    "clearance:batch_reject": lambda s: f"/clearance/batches/{s.batch_pk}/reject/",
    "clearance:batch_close": lambda s: f"/clearance/batches/{s.batch_pk}/close/",
    "clearance:line_done": lambda s: f"/clearance/batches/{s.batch_pk}/lines/{s.line_pk}/done/",
    "clearance:batch_promotions_csv": lambda s: f"/clearance/batches/{s.batch_pk}/promotions.csv",
    # API
    "api-warehouse-detail": lambda s: f"/api/v1/warehouses/{s.warehouse.code}/",
    "api-purchase-order-detail": lambda s: f"/api/v1/purchase-orders/{s.po_number}/",
    "api-purchase-order-cancel": lambda s: f"/api/v1/purchase-orders/{s.po_number}/cancel/",
    "api-purchase-order-receive": lambda s: f"/api/v1/purchase-orders/{s.po_number}/receive/",
    "api-purchase-order-send": lambda s: f"/api/v1/purchase-orders/{s.po_number}/send/",
    "count-session-detail": lambda s: f"/api/v1/count-sessions/{s.count_pk}/",
    "count-session-approve": lambda s: f"/api/v1/count-sessions/{s.count_pk}/approve/",
    "count-session-lines": lambda s: f"/api/v1/count-sessions/{s.count_pk}/lines/",
    "count-session-reject": lambda s: f"/api/v1/count-sessions/{s.count_pk}/reject/",
    "count-session-submit": lambda s: f"/api/v1/count-sessions/{s.count_pk}/submit/",
    "api-alert-detail": lambda s: f"/api/v1/alerts/{s.alert_pk}/",
    "api-alert-acknowledge": lambda s: f"/api/v1/alerts/{s.alert_pk}/acknowledge/",
    "clearance_api:clearance-batch-detail": lambda s: f"/api/v1/clearance-batches/{s.batch_pk}/",
    "clearance_api:clearance-batch-approve": (
        lambda s: f"/api/v1/clearance-batches/{s.batch_pk}/approve/"
    ),
    "clearance_api:clearance-batch-reject": (
        lambda s: f"/api/v1/clearance-batches/{s.batch_pk}/reject/"
    ),
    "clearance_api:clearance-batch-close": (
        lambda s: f"/api/v1/clearance-batches/{s.batch_pk}/close/"
    ),
    "clearance_api:clearance-batch-line": (
        lambda s: f"/api/v1/clearance-batches/{s.batch_pk}/lines/{s.line_pk}/"
    ),
    "clearance_api:clearance-batch-line-done": (
        lambda s: f"/api/v1/clearance-batches/{s.batch_pk}/lines/{s.line_pk}/done/"
    ),
}

# URL name -> (why it is not scoped by warehouse, the URL of B's object whose page must still
# show nothing of B, or None when the object holds no warehouse data).
GLOBAL: dict[str, tuple[str, Callable[[Side], str] | None]] = {
    "inventory:sku_detail": (
        "SKUs are a shared catalog; the page lists balances and movements of the user's "
        "warehouses only",
        lambda s: f"/skus/{s.sku.pk}/",
    ),
    "inventory:sku_edit": ("SKU parameters are catalog data (managers of any warehouse)", None),
    "inventory:sku_by_code": ("a redirect to the catalog SKU page", None),
    "alerts:sku_chart_data": (
        "the SKU chart of the shared catalog, drawn for the user's warehouses only",
        lambda s: f"/skus/{s.sku.pk}/chart.json",
    ),
    "counting:sku_history": (
        "a catalog SKU's count history, listing counts of the user's warehouses only",
        lambda s: f"/counts/history/{s.sku.seller_sku}/",
    ),
    "api-sku-detail": ("SKUs are a shared catalog (no stock figures)", None),
    "api-supplier-detail": ("suppliers are shared by every warehouse", None),
}

# The Django admin is for admins (is_staff), who manage every warehouse.
EXCLUDED_PREFIXES = ("admin/",)


def walk(patterns, prefix="", namespace=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = ":".join(x for x in (namespace, p.namespace) if x)
            yield from walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            name = f"{namespace}:{p.name}" if namespace and p.name else p.name
            yield prefix + str(p.pattern), name, p


def parametrised_urls() -> dict[str, str]:
    """URL name -> route, for every pattern that takes a path parameter (admin aside)."""
    found = {}
    for route, name, pattern in walk(get_resolver().url_patterns):
        if route.startswith(EXCLUDED_PREFIXES) or not pattern.pattern.regex.groupindex:
            continue
        if route.endswith(r"\.(?P<format>[a-z0-9]+)/?$"):
            continue  # DRF format suffixes, none registered
        found[name] = route
    return found
