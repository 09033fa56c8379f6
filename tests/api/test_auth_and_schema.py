"""Token auth, session auth, and the OpenAPI schema and docs."""

import pytest
from drf_spectacular.validation import validate_schema

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_posting_username_and_password_returns_a_token_that_authenticates(api, warehouse):
    UserFactory(username="ana", role="staff", warehouses=[warehouse])
    response = api.post(
        "/api/v1/auth/token/", {"username": "ana", "password": "pw-for-tests-1"}, format="json"
    )
    assert response.status_code == 200
    assert list(response.json()) == ["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    listed = api.get("/api/v1/warehouses/")
    assert listed.status_code == 200
    assert [w["code"] for w in listed.json()["results"]] == ["A"]


def test_a_wrong_password_gets_no_token(api, staff):
    response = api.post(
        "/api/v1/auth/token/", {"username": staff.username, "password": "nope"}, format="json"
    )
    assert response.status_code == 400
    assert "token" not in response.json()


def test_without_credentials_the_api_answers_401_not_a_login_redirect(api, warehouse):
    for path in ("/api/v1/warehouses/", "/api/v1/stock/", "/api/v1/movements/"):
        response = api.get(path)
        assert response.status_code == 401, path


def test_a_bad_token_is_refused(api, warehouse):
    api.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef")
    assert api.get("/api/v1/stock/").status_code == 401


def test_the_browser_session_works_for_the_api(client, staff):
    client.force_login(staff)
    assert client.get("/api/v1/stock/").status_code == 200


def test_session_writes_need_the_csrf_token(staff, manager, sku):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    response = client.post(
        "/api/v1/movements/",
        {"warehouse": "A", "sku": sku.seller_sku, "kind": "RECEIPT", "quantity": 1},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_the_schema_is_valid_openapi_with_every_endpoint(api):
    response = api.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)  # raises on an invalid OpenAPI 3 document
    assert schema["openapi"].startswith("3.")
    for path in (
        "/api/v1/auth/token/",
        "/api/v1/warehouses/",
        "/api/v1/warehouses/{code}/",
        "/api/v1/suppliers/{name}/",
        "/api/v1/skus/{seller_sku}/",
        "/api/v1/movements/",
        "/api/v1/stock/",
        "/api/v1/purchase-orders/",
        "/api/v1/purchase-orders/{number}/receive/",
    ):
        assert path in schema["paths"], path
    stock_fields = schema["components"]["schemas"]["Stock"]["properties"]
    assert "on_order" in stock_fields and "suggested_order_qty" in stock_fields


def test_the_docs_page_loads_its_assets_from_our_own_static_files(client, staff):
    client.force_login(staff)
    response = client.get("/api/docs/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in body
    assert "cdn." not in body and "unpkg" not in body


def test_a_token_user_in_several_groups_acts_with_the_most_capable_role(as_user, staff, warehouse):
    from django.contrib.auth.models import Group

    from tests.factories import SKUFactory

    sku = SKUFactory(seller_sku="MUG-1")
    body = {"warehouse": "A", "sku": sku.seller_sku, "kind": "ADJUSTMENT", "quantity": 2}
    # Staff may not post movements; the same user made a manager too may.
    assert as_user(staff).post("/api/v1/movements/", body, format="json").status_code == 403
    staff.groups.add(Group.objects.get_or_create(name="manager")[0])
    assert as_user(staff).post("/api/v1/movements/", body, format="json").status_code == 201


def test_a_token_of_an_inactive_user_is_refused(as_user, staff, warehouse):
    api = as_user(staff)
    staff.is_active = False
    staff.save()
    assert api.get("/api/v1/warehouses/").status_code == 401
