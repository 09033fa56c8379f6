"""The nightly ledger proof: a balance that drifts from its ledger sum opens an admin notice,
shown to admins on the home page and in the admin, closed by the next clean run."""

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F

from inventory.models import AdminNotice, MovementKind, StockBalance
from inventory.notices import LEDGER_MISMATCH
from inventory.services import movement_post
from inventory.tasks import check_ledger_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def stocked(warehouse, sku):
    movement_post(warehouse=warehouse, sku=sku, kind=MovementKind.RECEIPT, quantity=10)
    return sku


def drift(warehouse, sku, by):
    """What a bug or a hand-edited row would do: the cache no longer equals the ledger."""
    StockBalance.objects.filter(warehouse=warehouse, sku=sku).update(on_hand=F("on_hand") + by)


def test_a_clean_ledger_opens_nothing(stocked):
    assert check_ledger_task() == 0
    assert not AdminNotice.objects.exists()


def test_a_mismatch_opens_one_notice_that_admins_see_on_the_home_page(
    client, make_user, warehouse, stocked
):
    drift(warehouse, stocked, 3)
    assert check_ledger_task() == 1
    notice = AdminNotice.objects.get()
    assert notice.kind == LEDGER_MISMATCH and notice.is_open
    assert notice.title == "Ledger check: 1 balance differs from its ledger sum"
    assert "A TEE-RED-M: balance 13, ledger sum 10" in notice.detail
    assert notice.data["pairs"] == [
        {"warehouse": "A", "sku": "TEE-RED-M", "balance": 13, "ledger_sum": 10}
    ]

    admin = make_user("admin", warehouse)
    client.force_login(admin)
    home = client.get("/").content.decode()
    assert 'data-admin-notice="ledger_mismatch"' in home
    assert "balance 13, ledger sum 10" in home
    listing = client.get("/admin/inventory/adminnotice/").content.decode()
    assert "Ledger check: 1 balance differs" in listing

    client.force_login(make_user("manager", warehouse))
    assert "data-admin-notice" not in client.get("/").content.decode()


def test_the_next_run_refreshes_the_open_notice_and_a_clean_run_closes_it(warehouse, stocked):
    drift(warehouse, stocked, -2)
    check_ledger_task()
    first = AdminNotice.objects.get()
    check_ledger_task()
    again = AdminNotice.objects.get()  # still one notice
    assert again.pk == first.pk and again.last_seen_at >= first.last_seen_at
    drift(warehouse, stocked, 2)  # repaired
    assert check_ledger_task() == 0
    closed = AdminNotice.objects.get()
    assert closed.resolved_at is not None and closed.resolved_by is None


def test_the_command_exits_1_and_opens_the_same_notice(warehouse, stocked):
    drift(warehouse, stocked, 1)
    with pytest.raises(CommandError) as failure:
        call_command("check_ledger")
    assert failure.value.returncode == 1
    assert AdminNotice.objects.filter(kind=LEDGER_MISMATCH, resolved_at=None).count() == 1


def test_an_admin_marks_a_notice_resolved_in_the_admin(
    admin_client, admin_user, warehouse, stocked
):
    drift(warehouse, stocked, 1)
    check_ledger_task()
    notice = AdminNotice.objects.get()
    response = admin_client.post(
        "/admin/inventory/adminnotice/",
        {"action": "mark_resolved", "_selected_action": [notice.pk]},
    )
    assert response.status_code == 302
    notice.refresh_from_db()
    assert notice.resolved_by == admin_user and notice.resolved_at is not None


def test_the_nightly_check_is_scheduled():
    from config.celery_app import app

    tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert "inventory.tasks.check_ledger_task" in tasks
