"""Every POST without a CSRF token is refused (403), on every URL of the site: pages, the API
with a browser session, login, logout, the language switch and the admin. (API calls with a
token carry no ambient authority and need no CSRF token; a session-authenticated one does.)"""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.factories import UserFactory
from tests.security.registry import GLOBAL, SCOPED, walk
from tests.security.world import Side, build_side

pytestmark = pytest.mark.django_db

# Parametrised URLs that SCOPED does not build (catalog objects).
CATALOG_URLS = {
    "inventory:sku_detail": lambda s: f"/skus/{s.sku.pk}/",
    "inventory:sku_edit": lambda s: f"/skus/{s.sku.pk}/edit/",
    "inventory:sku_by_code": lambda s: f"/skus/by-code/{s.sku.seller_sku}/",
    "alerts:sku_chart_data": lambda s: f"/skus/{s.sku.pk}/chart.json",
    "counting:sku_history": lambda s: f"/counts/history/{s.sku.seller_sku}/",
    "api-sku-detail": lambda s: f"/api/v1/skus/{s.sku.seller_sku}/",
    "api-supplier-detail": lambda s: f"/api/v1/suppliers/{s.sku.supplier.name}/",
}
# A sample of the admin: every admin view is CSRF-protected by Django's admin site itself.
ADMIN_URLS = [
    "/admin/logout/",
    "/admin/inventory/sku/add/",
    "/admin/inventory/adminnotice/",
    "/admin/alerts/outboxemail/",
    "/admin/auth/user/add/",
]


def every_url(side: Side) -> list[str]:
    urls = []
    for route, name, pattern in walk(_patterns()):
        if route.startswith("admin/"):
            continue
        if pattern.pattern.regex.groupindex:
            builder = SCOPED.get(name) or CATALOG_URLS.get(name)
            assert builder, f"no URL builder for {name} ({route}); see test_object_scoping"
            urls.append(builder(side))
        else:
            urls.append("/" + route.replace("^", "").replace("$", ""))
    return sorted(set(urls)) + ADMIN_URLS


def _patterns():
    from django.urls import get_resolver

    return get_resolver().url_patterns


def test_the_url_list_covers_the_registry():
    assert set(GLOBAL) == set(CATALOG_URLS)


def test_every_post_without_a_csrf_token_is_refused(db):
    side = build_side("wha")
    admin = UserFactory(username="csrf_admin", role="admin", warehouses=[side.warehouse])
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(admin)
    api = APIClient(enforce_csrf_checks=True)
    api.force_login(admin)  # a browser session, not a token
    allowed = []
    for url in every_url(side):
        client = api if url.startswith("/api/") else browser
        response = client.post(url, {"quantity": "1", "comment": "x"})
        if response.status_code != 403:
            allowed.append((url, response.status_code))
    assert allowed == []
    # Nothing was done by any of them: the ledger holds only the side's own receipt.
    from inventory.models import StockMovement

    assert StockMovement.objects.count() == 1


def test_the_same_post_with_the_token_goes_through(db):
    """The control: the refusal above is the CSRF check, not something else."""
    side = build_side("wha")
    manager = UserFactory(username="csrf_manager", role="manager", warehouses=[side.warehouse])
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(manager)
    browser.get("/movements/new/")  # sets the CSRF cookie
    token = browser.cookies["csrftoken"].value
    response = browser.post(
        "/movements/new/",
        {
            "action": "receipt",
            "warehouse": side.warehouse.code,
            "sku": side.sku.seller_sku,
            "quantity": "1",
            "csrfmiddlewaretoken": token,
        },
    )
    assert response.status_code == 302


def test_login_posts_without_a_token_are_refused(db):
    UserFactory(username="someone")
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": "someone", "password": "pw-for-tests-1"})
    assert response.status_code == 403
