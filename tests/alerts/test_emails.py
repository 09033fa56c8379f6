"""Reorder emails over a real SMTP server (aiosmtpd on loopback): one per alert opening,
nothing from a rolled-back transaction, 451 retried, the daily digest with CSV, languages."""

import csv
import email
import io
from email import policy

import pytest
from django.db import transaction

from alerts import emails
from alerts.models import Alert, EmailPreference, OutboxEmail, OutboxStatus, PlanningFigures
from alerts.tasks import daily_digest_task, send_outbox_email_task
from tests.alerts.conftest import plan, receive, sell
from tests.factories import SKUFactory, SupplierFactory, WarehouseFactory

pytestmark = pytest.mark.django_db


def parsed(envelope):
    return email.message_from_bytes(envelope.content, policy=policy.default)


@pytest.fixture
def planned(warehouse, purchaser):
    """ROP 75 units, on hand 100 (see test_alerts)."""
    sku = SKUFactory(
        seller_sku="LIP-01",
        name="Velvet lipstick",
        supplier=SupplierFactory(name="Guangzhou Beauty Lab", lead_time_days=10, logistics_days=5),
    )
    receive(warehouse, sku, 100)
    plan(warehouse, sku, 5)
    return sku


def test_exactly_one_email_per_alert_opening(
    warehouse, planned, purchaser, staff, make_user, smtp, eager, django_capture_on_commit_callbacks
):
    make_user("purchaser", WarehouseFactory(code="Z"))  # a buyer of another warehouse
    with django_capture_on_commit_callbacks(execute=True):
        sell(warehouse, planned, 30)  # 70 <= ROP 75
    with django_capture_on_commit_callbacks(execute=True):
        sell(warehouse, planned, 5)  # still open: no repeat
    assert len(smtp.messages) == 1
    envelope = smtp.messages[0]
    assert envelope.rcpt_tos == [purchaser.email]  # not staff, not another warehouse's buyer
    message = parsed(envelope)
    assert "LIP-01" in message["Subject"] and "A" in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "On hand + on order 70 is at or below the reorder point of 75" in text
    assert "http://testserver.example/replenishment/?warehouse=A&q=LIP-01" in text
    assert "<table" in html and "Velvet lipstick" in html
    row = OutboxEmail.objects.get()
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 1)


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = "http://testserver.example"


def test_a_rolled_back_transaction_sends_nothing(
    warehouse, planned, smtp, eager, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        sell(warehouse, planned, 30)
        raise RuntimeError("the import failed further down")
    assert callbacks == []
    emails.outbox_dispatch()  # even a sweep finds nothing to send
    assert smtp.messages == []
    assert not Alert.objects.exists() and not OutboxEmail.objects.exists()


def test_an_smtp_refusal_is_retried_then_succeeds(
    warehouse, planned, smtp, eager, django_capture_on_commit_callbacks
):
    smtp.refuse = 2  # 451 twice
    with django_capture_on_commit_callbacks(execute=True):
        sell(warehouse, planned, 30)
    assert len(smtp.messages) == 1
    row = OutboxEmail.objects.get()
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 3)
    assert "451" in row.last_error


def test_an_email_refused_every_time_ends_failed_and_shows_in_the_admin(
    warehouse, planned, smtp, eager, django_capture_on_commit_callbacks, admin_client
):
    smtp.refuse = 1000
    with django_capture_on_commit_callbacks(execute=True):
        sell(warehouse, planned, 30)
    row = OutboxEmail.objects.get()
    assert (row.status, row.attempts) == (OutboxStatus.FAILED, emails.MAX_ATTEMPTS)
    assert smtp.messages == []
    page = admin_client.get("/admin/alerts/outboxemail/?status__exact=failed")
    assert row.dedup_key in page.content.decode()


def test_backoff_grows_exponentially_with_jitter():
    for attempts in range(1, 6):
        step = emails.BACKOFF_BASE_SECONDS * 2 ** (attempts - 1)
        delays = {emails.backoff_seconds(attempts) for _ in range(20)}
        assert all(step / 2 <= d <= step for d in delays)
        assert len(delays) > 1  # jitter
    assert emails.backoff_seconds(50) <= emails.BACKOFF_MAX_SECONDS


def test_a_duplicate_task_delivery_sends_once(warehouse, planned, smtp):
    PlanningFigures.objects.filter(sku=planned).update(status="REORDER", urgency=2)
    from alerts.services import alerts_sync

    alerts_sync()
    row = OutboxEmail.objects.get()
    send_outbox_email_task.apply(args=[row.pk])
    send_outbox_email_task.apply(args=[row.pk])
    assert len(smtp.messages) == 1


def _digest_setup(warehouse, purchaser):
    beauty = SupplierFactory(name="Beauty Lab", lead_time_days=10, logistics_days=5)
    toys = SupplierFactory(name="Toy Works", lead_time_days=10, logistics_days=5)
    skus = [
        SKUFactory(seller_sku="B-1", supplier=beauty, case_pack=12),
        SKUFactory(seller_sku="B-2", supplier=beauty),
        SKUFactory(seller_sku="T-1", supplier=toys),
        SKUFactory(seller_sku="B-OK", supplier=beauty),
    ]
    for sku, on_hand in zip(skus, (50, 10, 60, 500), strict=True):
        receive(warehouse, sku, on_hand)
        plan(warehouse, sku, 5)  # ROP 75, S 110
    return skus


def test_the_daily_digest_lists_each_suppliers_skus_to_reorder_with_a_csv(
    warehouse, purchaser, smtp, eager, django_capture_on_commit_callbacks
):
    _digest_setup(warehouse, purchaser)
    with django_capture_on_commit_callbacks(execute=True):
        daily_digest_task.delay("2026-11-20")
    assert len(smtp.messages) == 2  # one per supplier
    by_subject = {parsed(m)["Subject"]: parsed(m) for m in smtp.messages}
    beauty = next(m for s, m in by_subject.items() if "Beauty Lab" in s)
    assert "2 SKUs" in beauty["Subject"] and "2026-11-20" in beauty["Subject"]
    text = beauty.get_body(("plain",)).get_content()
    assert "B-1" in text and "B-2" in text and "B-OK" not in text
    assert "http://testserver.example/replenishment/?supplier=" in text
    assert "<table" in beauty.get_body(("html",)).get_content()
    attachment = next(beauty.iter_attachments())
    assert attachment.get_content_type() == "text/csv"
    rows = list(csv.DictReader(io.StringIO(attachment.get_content())))
    got = {r["Seller SKU"]: r for r in rows}
    # B-1: on hand 50, S 110 -> 60, 12 a case -> 60; B-2: 100
    assert got["B-1"]["Suggested order quantity"] == "60"
    assert got["B-2"]["Suggested order quantity"] == "100"
    assert got["B-2"]["Status"] == "REORDER"  # no variability: SS 0
    assert got["B-1"]["Reorder point"] == "75" and got["B-1"]["Lead time (days)"] == "15"
    assert got["B-1"]["Explanation"].startswith("On hand + on order 50")


def test_a_second_digest_run_the_same_day_sends_nothing_more(
    warehouse, purchaser, smtp, eager, django_capture_on_commit_callbacks
):
    _digest_setup(warehouse, purchaser)
    for _beat in range(2):  # a duplicate beat, or the task delivered twice
        with django_capture_on_commit_callbacks(execute=True):
            daily_digest_task.delay("2026-11-20")
    assert len(smtp.messages) == 2
    with django_capture_on_commit_callbacks(execute=True):
        daily_digest_task.delay("2026-11-21")  # the next day is a new digest
    assert len(smtp.messages) == 4


def test_emails_are_written_in_the_recipients_language(
    warehouse, planned, purchaser, make_user, smtp, eager, django_capture_on_commit_callbacks
):
    chinese = make_user("manager", warehouse)
    EmailPreference.objects.create(user=chinese, language="zh-hans")
    with django_capture_on_commit_callbacks(execute=True):
        sell(warehouse, planned, 30)
    assert len(smtp.messages) == 2  # one per language
    languages = {parsed(m)["Content-Language"]: m.rcpt_tos for m in smtp.messages}
    assert languages == {"en": [purchaser.email], "zh-hans": [chinese.email]}
    zh = next(parsed(m) for m in smtp.messages if m.rcpt_tos == [chinese.email])
    assert '<html lang="zh-hans">' in zh.get_body(("html",)).get_content()
