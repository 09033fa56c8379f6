"""Who may do what: role rules on pages and API (403, nothing written), the admin for admins
only, login lockout on the token endpoint too, sessions that expire, and `check --deploy`."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import Client
from rest_framework.test import APIClient

from alerts.models import Alert
from clearance.models import BatchStatus, ClearanceBatch
from counting.models import CountSession, SessionStatus
from inventory.models import AuditEntry, PurchaseOrder, StockMovement, Warehouse
from tests.factories import UserFactory
from tests.security.world import build_side

pytestmark = pytest.mark.django_db


@pytest.fixture
def side(db):
    return build_side("wha")


def as_role(role, side):
    user = UserFactory(username=f"{role}_of_a", role=role, warehouses=[side.warehouse])
    browser, api = Client(), APIClient()
    browser.force_login(user)
    api.force_authenticate(user)
    return browser, api


def _state():
    """What a refused request must leave untouched."""
    return (
        StockMovement.objects.count(),
        list(CountSession.objects.values_list("status", flat=True)),
        list(ClearanceBatch.objects.values_list("status", flat=True)),
        list(PurchaseOrder.objects.values_list("status", flat=True)),
        list(Alert.objects.values_list("acknowledged_at", flat=True)),
        AuditEntry.objects.count(),
        Warehouse.objects.count(),
    )


# (role, method, url(side), body, why)
REFUSED = [
    ("staff", "post", lambda s: f"/counts/{s.count_pk}/approve/", {}, "staff cannot approve"),
    (
        "purchaser",
        "post",
        lambda s: f"/counts/{s.count_pk}/approve/",
        {},
        "purchasers cannot approve counts",
    ),
    ("staff", "post", lambda s: f"/counts/{s.count_pk}/reject/", {}, "staff cannot reject"),
    (
        "purchaser",
        "get",
        lambda s: f"/counts/{s.count_pk}/review/",
        {},
        "purchasers do not review counts",
    ),
    ("staff", "get", lambda s: "/counts/accuracy/", {}, "accuracy is for approvers"),
    (
        "staff",
        "post",
        lambda s: f"/clearance/batches/{s.batch_pk}/approve/",
        {},
        "staff cannot approve clearance",
    ),
    (
        "purchaser",
        "post",
        lambda s: f"/clearance/batches/{s.batch_pk}/reject/",
        {},
        "purchasers cannot decide clearance",
    ),
    (
        "purchaser",
        "post",
        lambda s: f"/clearance/batches/{s.batch_pk}/lines/{s.line_pk}/done/",
        {},
        "purchasers cannot dispose stock",
    ),
    ("staff", "get", lambda s: "/movements/new/", {}, "staff cannot post movements"),
    (
        "staff",
        "post",
        lambda s: "/movements/new/",
        lambda s: {"action": "receipt", "warehouse": "wha", "sku": s.sku.seller_sku, "quantity": 5},
        "staff cannot post movements",
    ),
    ("staff", "get", lambda s: "/purchase-orders/", {}, "staff do not purchase"),
    (
        "staff",
        "post",
        lambda s: f"/purchase-orders/{s.po_number}/send/",
        {},
        "staff do not purchase",
    ),
    ("staff", "get", lambda s: "/replenishment/", {}, "staff do not see alerts"),
    (
        "staff",
        "post",
        lambda s: f"/alerts/{s.alert_pk}/acknowledge/",
        {},
        "staff do not see alerts",
    ),
    ("staff", "get", lambda s: f"/skus/{s.sku.pk}/edit/", {}, "SKU parameters are for managers"),
    (
        "purchaser",
        "post",
        lambda s: f"/skus/{s.sku.pk}/edit/",
        {"moq": "6", "case_pack": "1"},
        "SKU parameters are for managers",
    ),
    ("purchaser", "get", lambda s: "/imports/", {}, None),  # allowed: purchasers import receipts
]
REFUSED_API = [
    (
        "purchaser",
        "post",
        lambda s: f"/api/v1/count-sessions/{s.count_pk}/approve/",
        {},
        "purchasers cannot approve counts",
    ),
    (
        "staff",
        "post",
        lambda s: f"/api/v1/count-sessions/{s.count_pk}/approve/",
        {},
        "staff cannot approve",
    ),
    (
        "staff",
        "post",
        lambda s: f"/api/v1/clearance-batches/{s.batch_pk}/close/",
        {},
        "staff cannot close clearance",
    ),
    (
        "purchaser",
        "post",
        lambda s: "/api/v1/movements/",
        lambda s: {
            "warehouse": "wha",
            "sku": s.sku.seller_sku,
            "kind": "ADJUSTMENT",
            "quantity": -3,
        },
        "purchasers post receipts only",
    ),
    (
        "staff",
        "post",
        lambda s: "/api/v1/movements/",
        lambda s: {"warehouse": "wha", "sku": s.sku.seller_sku, "kind": "RECEIPT", "quantity": 3},
        "staff post nothing",
    ),
    (
        "purchaser",
        "patch",
        lambda s: f"/api/v1/skus/{s.sku.seller_sku}/",
        {"moq": 6},
        "SKU parameters are for managers",
    ),
    (
        "manager",
        "post",
        lambda s: "/api/v1/warehouses/",
        {"code": "new", "name": "New"},
        "warehouses are for admins",
    ),
    (
        "manager",
        "patch",
        lambda s: "/api/v1/warehouses/wha/",
        {"allow_negative_stock": True},
        "warehouses are for admins",
    ),
    ("staff", "get", lambda s: "/api/v1/purchase-orders/", {}, "staff do not purchase"),
    ("staff", "get", lambda s: "/api/v1/alerts/", {}, "staff do not see alerts"),
]


@pytest.mark.parametrize(("role", "method", "url", "body", "why"), REFUSED + REFUSED_API)
def test_role_rules(side, role, method, url, body, why):
    browser, api = as_role(role, side)
    target = url(side)
    client = api if target.startswith("/api/") else browser
    before = _state()
    kwargs = {"format": "json"} if client is api else {}
    data = body(side) if callable(body) else body
    response = getattr(client, method)(target, data, **kwargs)
    if why is None:
        assert response.status_code == 200, target
        return
    assert response.status_code == 403, (why, target, response.status_code)
    assert _state() == before, why


def test_a_manager_approves_what_staff_may_not(side):
    """The control for the rules above: the same request by a manager goes through."""
    CountSession.objects.filter(pk=side.count_pk).update(status=SessionStatus.SUBMITTED)
    browser, _api = as_role("manager", side)
    assert browser.post(f"/counts/{side.count_pk}/approve/").status_code == 302
    assert CountSession.objects.get(pk=side.count_pk).status == SessionStatus.APPROVED
    ClearanceBatch.objects.filter(pk=side.batch_pk).update(status=BatchStatus.PROPOSED)
    assert browser.post(f"/clearance/batches/{side.batch_pk}/approve/").status_code == 302
    assert ClearanceBatch.objects.get(pk=side.batch_pk).status == BatchStatus.APPROVED


@pytest.mark.parametrize("role", ["staff", "purchaser", "manager"])
def test_only_admins_open_the_django_admin(side, role):
    browser, _api = as_role(role, side)
    for url in ("/admin/", "/admin/inventory/stockmovement/", "/admin/auth/user/"):
        response = browser.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"], url


def test_an_admin_opens_the_django_admin(side):
    browser, _api = as_role("admin", side)
    assert browser.get("/admin/inventory/auditentry/").status_code == 200


def test_the_api_token_endpoint_locks_out_too_and_ignores_forwarded_for(db):
    UserFactory(username="lin")
    api = APIClient()
    for n in range(settings.AXES_FAILURE_LIMIT):
        api.post(
            "/api/v1/auth/token/",
            {"username": "lin", "password": "wrong"},
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",
        )
    response = api.post(
        "/api/v1/auth/token/",
        {"username": "lin", "password": "pw-for-tests-1"},
        HTTP_X_FORWARDED_FOR="198.51.100.9",
    )
    # Refused without a token (DRF reports the locked-out login as bad credentials).
    assert response.status_code in (400, 403, 429)
    assert "token" not in response.json()
    # The browser login is locked for the same person too.
    page = Client().post("/login/", {"username": "lin", "password": "pw-for-tests-1"})
    assert page.status_code == 429


def test_an_expired_session_opens_neither_pages_nor_the_api(side):
    user = UserFactory(username="sleepy", role="manager", warehouses=[side.warehouse])
    browser = Client()
    browser.force_login(user)
    session = browser.session
    session.set_expiry(-1)
    session.save()
    assert browser.get("/movements/").status_code == 302
    api = APIClient()
    api.cookies = browser.cookies
    assert api.get("/api/v1/movements/").status_code in (401, 403)


def test_sessions_end_with_the_browser_or_after_the_cookie_age():
    assert 0 < settings.SESSION_COOKIE_AGE <= 24 * 3600
    assert settings.SESSION_COOKIE_HTTPONLY


@pytest.mark.slow
def test_check_deploy_is_clean_with_the_production_settings():
    # Not the test run's environment: playwright sets DJANGO_ALLOW_ASYNC_UNSAFE in it.
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {
        **env,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "a-long-random-production-like-secret-" + "x7Qm2" * 10,
        "ALLOWED_HOSTS": "stockwise.example.com",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
