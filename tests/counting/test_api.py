"""REST API: count-sessions create, lines, submit, approve — scoped, role-checked and blind."""

import uuid

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from counting.models import CountEntry, CountLine, SessionStatus
from inventory.models import MovementKind, StockMovement
from tests.counting.helpers import new_session, receive, shows_number
from tests.factories import SKUFactory

pytestmark = pytest.mark.django_db

BOOK = 73917


def api_for(user):
    client = APIClient()
    token = Token.objects.create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def test_count_through_the_api_from_create_to_approval(warehouse, staff, manager, sku):
    receive(warehouse, sku, BOOK)
    other = SKUFactory(seller_sku="MUG")
    receive(warehouse, other, 10)
    counter, boss = api_for(staff), api_for(manager)

    created = counter.post(
        "/api/v1/count-sessions/",
        {"warehouse": "A", "kind": "cycle", "skus": ["TEE-RED-M", "MUG"]},
        format="json",
    )
    assert created.status_code == 201, created.content
    session_id = created.json()["id"]
    assert created.json()["line_count"] == 2 and created.json()["status"] == "draft"

    url = f"/api/v1/count-sessions/{session_id}/"
    key = str(uuid.uuid4())
    posted = counter.post(
        url + "lines/", {"sku": "TEE-RED-M", "counted": BOOK - 1, "idempotency_key": key}
    )
    assert posted.status_code == 201 and posted.json()["counted"] == BOOK - 1
    repeat = counter.post(
        url + "lines/", {"sku": "TEE-RED-M", "counted": BOOK - 1, "idempotency_key": key}
    )
    assert repeat.status_code == 200 and repeat.json()["created"] is False
    counter.post(url + "lines/", {"sku": other.tiktok_sku_id, "counted": 10})
    listing = counter.get(url + "lines/")
    submitted = counter.post(url + "submit/")
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
    for response in (posted, repeat, listing, submitted):
        assert not shows_number(response.content.decode(), BOOK)
    assert "expected_qty" not in listing.json()["results"][0]

    assert counter.post(url + "approve/").status_code == 403
    approved = boss.post(url + "approve/", {"comment": "ok"}, format="json")
    assert approved.status_code == 200
    assert (approved.json()["status"], approved.json()["adjustments_posted"]) == ("approved", 1)
    again = boss.post(url + "approve/")
    assert again.json()["already_approved"] is True
    assert StockMovement.objects.get(kind=MovementKind.COUNT_ADJUSTMENT).quantity == -1
    review = boss.get(url + "lines/").json()["results"]
    assert {r["sku"]: r["expected_qty"] for r in review}["TEE-RED-M"] == BOOK


def test_idempotency_key_header_is_honoured(warehouse, staff, sku):
    session = new_session(warehouse, [sku])
    client = api_for(staff)
    url = f"/api/v1/count-sessions/{session.pk}/lines/"
    key = str(uuid.uuid4())
    client.post(url, {"sku": "TEE-RED-M", "counted": 2}, HTTP_IDEMPOTENCY_KEY=key)
    client.post(url, {"sku": "TEE-RED-M", "counted": 2}, HTTP_IDEMPOTENCY_KEY=key)
    assert CountLine.objects.get().counted_qty == 2


def test_recount_is_announced_by_submit(warehouse, staff, sku):
    receive(warehouse, sku, 50)
    session = new_session(warehouse, [sku])
    client = api_for(staff)
    client.post(f"/api/v1/count-sessions/{session.pk}/lines/", {"sku": "TEE-RED-M", "counted": 20})
    body = client.post(f"/api/v1/count-sessions/{session.pk}/submit/").json()
    assert (body["status"], body["recount"]) == ("counting", ["TEE-RED-M"])

    # Blind: neither the book quantity (50) nor the variance (-30) appears as a value, and no
    # field names them (a timestamp may contain "30", so look at values, not the text).
    def values(node):
        if isinstance(node, dict):
            for key, value in node.items():
                assert "expected" not in key and "variance" not in key
                yield from values(value)
        elif isinstance(node, list):
            for item in node:
                yield from values(item)
        else:
            yield node

    assert not {50, 30, -30} & {v for v in values(body) if isinstance(v, int | float)}


def test_bad_input_is_a_clear_400_and_writes_nothing(warehouse, staff, sku):
    session = new_session(warehouse, [sku])
    client = api_for(staff)
    url = f"/api/v1/count-sessions/{session.pk}/lines/"
    unknown = client.post(url, {"sku": "NOPE", "counted": 1})
    assert unknown.status_code == 400 and "Unknown code “NOPE”" in unknown.json()["detail"]
    negative = client.post(url, {"sku": "TEE-RED-M", "counted": -3})
    assert negative.status_code == 400 and "counted" in negative.json()
    bad_create = client.post(
        "/api/v1/count-sessions/",
        {"warehouse": "A", "kind": "cycle", "skus": ["NOPE"]},
        format="json",
    )
    assert (
        bad_create.status_code == 400
        and "Unknown Seller SKU(s): NOPE" in bad_create.json()["detail"]
    )
    assert not CountEntry.objects.exists()


def test_other_warehouses_sessions_answer_404(warehouse, other_warehouse, staff, sku, make_user):
    elsewhere = new_session(other_warehouse, [sku])
    client = api_for(staff)
    assert client.get(f"/api/v1/count-sessions/{elsewhere.pk}/").status_code == 404
    response = client.post(
        f"/api/v1/count-sessions/{elsewhere.pk}/lines/", {"sku": "TEE-RED-M", "counted": 1}
    )
    assert response.status_code == 404
    assert client.get("/api/v1/count-sessions/").json()["results"] == []
    refused = client.post(
        "/api/v1/count-sessions/", {"warehouse": "B", "kind": "full"}, format="json"
    )
    assert refused.status_code == 400 and "warehouse" in refused.json()
    boss_b = api_for(make_user("manager", warehouse))
    assert boss_b.post(f"/api/v1/count-sessions/{elsewhere.pk}/approve/").status_code == 404
    assert CountLine.objects.get().session.status == SessionStatus.DRAFT


def test_purchasers_and_anonymous_users_are_refused(warehouse, purchaser, sku):
    session = new_session(warehouse, [sku])
    assert api_for(purchaser).get("/api/v1/count-sessions/").status_code == 403
    assert APIClient().get(f"/api/v1/count-sessions/{session.pk}/").status_code in (401, 403)


def test_approving_a_session_in_progress_is_a_conflict(warehouse, manager, sku):
    session = new_session(warehouse, [sku])
    response = api_for(manager).post(f"/api/v1/count-sessions/{session.pk}/approve/")
    assert response.status_code == 409
    assert "only a submitted count can be approved" in response.json()["detail"]
