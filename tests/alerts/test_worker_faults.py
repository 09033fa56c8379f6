"""Celery faults with a real worker process, real Redis, real PostgreSQL and a real SMTP server.

A worker SIGKILLed in the middle of sending an alert email sends it exactly once after a
restart; the same task delivered twice (even at the same moment to two workers) sends once; a
task enqueued in a transaction that rolls back never reaches the worker; an SMTP server that
answers 4xx, 5xx or nothing is retried with growing, jittered delays, then the email is marked
failed where admins see it; with Redis down pages and posting keep working and the email queued
in the outbox goes out after recovery; two beats enqueueing the daily digest send it once.
"""

import time

import kombu.pools
import pytest
from django.db import transaction
from django.utils import timezone

from alerts import rechecks
from alerts.models import Alert, OutboxEmail, OutboxStatus, RecheckFlag
from alerts.tasks import daily_digest_task, send_outbox_email_task, send_pending_emails_task
from config.celery_app import app as celery_app
from inventory.models import ImportJob, ImportStatus
from inventory.tasks import import_jobs_requeue_task
from tests.alerts.conftest import plan, receive, sell
from tests.factories import SKUFactory, SupplierFactory
from tests.realworker import (
    EVENT_TIMEOUT,
    CeleryWorker,
    SmtpSink,
    flush_broker,
    free_port,
    wait_for,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(90),
]


@pytest.fixture(scope="module")
def sink():
    with SmtpSink() as server:
        yield server


@pytest.fixture(scope="module")
def worker_process(sink, django_db_setup, django_db_blocker):
    flush_broker()
    worker = CeleryWorker(smtp_port=sink.port)
    worker.start()
    yield worker
    worker.close()


@pytest.fixture
def worker(worker_process, sink, transactional_db):
    """The module's worker, alive, with an empty queue and a polite SMTP server."""
    sink.handler.reset()
    flush_broker()
    if not worker_process.alive:
        worker_process.start()
    yield worker_process
    # Before pytest-django empties the tables: nothing new to take, nothing still running.
    sink.handler.release.set()
    flush_broker()
    assert worker_process.wait_idle(), worker_process.log_tail()


@pytest.fixture
def second_worker(worker, sink):
    """Another worker process on the same queue: two consumers at once."""
    other = CeleryWorker(smtp_port=sink.port, name="w2")
    other.start()
    yield other
    other.wait_idle()
    other.close(kill=True)  # idle by then; a warm shutdown only costs time


def finished(worker, task_id: str) -> bool:
    return any(task_id in line and "succeeded" in line for line in worker.lines())


def one_email_sent(sink) -> bool:
    """The server has the email and the worker has committed the row as sent (the server has
    it a moment before the worker hears its 250 and commits)."""
    return (
        wait_for(
            lambda: (
                len(sink.handler.messages) >= 1
                and OutboxEmail.objects.filter(status=OutboxStatus.SENT).exists()
            )
        )
        and len(sink.handler.messages) == 1
    )


def count(workers, *needles) -> int:
    return sum(
        1 for w in workers for line in w.lines() if all(needle in line for needle in needles)
    )


@pytest.fixture
def planned(warehouse, purchaser):
    """On hand 100, reorder point 75 (d = 5 a day, lead time 10 + 5 days, no variability)."""
    sku = SKUFactory(
        seller_sku="LIP-01",
        supplier=SupplierFactory(name="Beauty Lab", lead_time_days=10, logistics_days=5),
    )
    receive(warehouse, sku, 100)
    plan(warehouse, sku, 5)
    return sku


def test_a_worker_killed_while_sending_an_alert_email_sends_it_once_after_restart(
    worker, sink, warehouse, purchaser, planned
):
    sink.handler.script = ["block"]  # the server holds the first send at RCPT
    sell(warehouse, planned, 30)  # 70 <= ROP 75: the worker opens the alert and sends
    assert sink.handler.rcpt_seen.wait(EVENT_TIMEOUT), worker.log_tail()
    row = OutboxEmail.objects.get()
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 0)  # its transaction is open

    worker.kill()  # SIGKILL in the middle of the task: nothing acknowledged, nothing committed
    sink.handler.release.set()
    assert sink.handler.messages == []
    worker.start()  # the unacknowledged task comes back (acks_late) and is sent once

    assert one_email_sent(sink), worker.log_tail()
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 1)
    assert sink.handler.messages[0].rcpt_tos == [purchaser.email]
    # The outbox sweep and a late duplicate delivery find the email sent: no second copy.
    duplicate = send_outbox_email_task.delay(row.pk)
    sweep = send_pending_emails_task.delay()
    assert wait_for(lambda: finished(worker, duplicate.id) and finished(worker, sweep.id))
    assert len(sink.handler.messages) == 1
    assert Alert.objects.count() == 1


def test_the_same_send_task_delivered_twice_to_two_workers_at_once_sends_one_email(
    worker, second_worker, sink, warehouse, purchaser, planned
):
    sink.handler.script = ["block"]
    sell(warehouse, planned, 30)
    assert sink.handler.rcpt_seen.wait(EVENT_TIMEOUT), worker.log_tail()
    row = OutboxEmail.objects.get()
    # One worker is sending (row locked); the duplicate goes to the other one meanwhile.
    duplicate = send_outbox_email_task.delay(row.pk)
    assert wait_for(lambda: finished(worker, duplicate.id) or finished(second_worker, duplicate.id))
    sink.handler.release.set()  # the first send is refused (451) and retried
    assert one_email_sent(sink), worker.log_tail()
    late = send_outbox_email_task.delay(row.pk)
    assert wait_for(lambda: finished(worker, late.id) or finished(second_worker, late.id))
    assert len(sink.handler.messages) == 1
    row.refresh_from_db()
    assert row.status == OutboxStatus.SENT


def test_a_task_enqueued_in_a_transaction_that_rolls_back_never_reaches_the_worker(
    worker, sink, warehouse, purchaser, planned
):
    other = SKUFactory(seller_sku="TEE-01", supplier=planned.supplier)
    receive(warehouse, other, 100)
    plan(warehouse, other, 5)
    assert worker.wait_settled(), worker.log_tail()  # the receipts' checks counted as before
    checks_before = count([worker], "recheck_pending_task[", "received")
    sends_before = count([worker], "send_outbox_email_task[", "received")
    with pytest.raises(RuntimeError), transaction.atomic():
        sell(warehouse, planned, 30)  # would open an alert and email it
        send_outbox_email_task.delay_on_commit(123456)
        raise RuntimeError("the import failed further down")
    sell(warehouse, other, 30)  # committed: the sentinel that must arrive alone

    assert one_email_sent(sink), worker.log_tail()
    assert "TEE-01" in sink.handler.messages[0].content.decode()
    # Exactly one stock check reached the worker (the committed one), and no send for 123456.
    assert count([worker], "recheck_pending_task[", "received") == checks_before + 1
    assert count([worker], "send_outbox_email_task[", "received") == sends_before + 1
    assert list(Alert.objects.values_list("sku__seller_sku", flat=True)) == ["TEE-01"]


def test_a_burst_of_sales_is_checked_by_a_few_tasks_and_every_alert_is_emailed(
    worker, sink, warehouse, purchaser
):
    skus = []
    for n in range(12):
        sku = SKUFactory(
            seller_sku=f"LIP-{n:02}",
            supplier=SupplierFactory(name=f"Lab {n}", lead_time_days=10, logistics_days=5),
        )
        receive(warehouse, sku, 100)
        plan(warehouse, sku, 5)  # reorder point 75
        skus.append(sku)
    assert worker.wait_settled(), worker.log_tail()
    assert wait_for(lambda: not RecheckFlag.objects.exists()), worker.log_tail()
    checks_before = count([worker], "recheck_pending_task[", "received")
    started = time.monotonic()
    for sku in skus:  # a live stream's burst: each sale crosses its reorder point
        sell(warehouse, sku, 30)
    burst = time.monotonic() - started
    assert wait_for(lambda: len(sink.handler.messages) == 12), worker.log_tail()
    assert Alert.objects.filter(resolved_at=None).count() == 12
    # One task a sale before the queue (12); now a check takes every sale of its window, and
    # the next one starts a window at the earliest (bounded by the burst's length, however
    # slow the machine).
    checks = count([worker], "recheck_pending_task[", "received") - checks_before
    assert 1 <= checks <= 2 + burst / rechecks.WINDOW_SECONDS, (checks, burst)


def test_an_smtp_server_answering_451_is_retried_with_growing_jittered_delays(
    worker, sink, warehouse, purchaser, planned
):
    sink.handler.script = ["451", "451"]
    sell(warehouse, planned, 30)
    assert one_email_sent(sink), worker.log_tail()
    row = OutboxEmail.objects.get()
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 3)
    assert "451" in row.last_error
    first, second, third = sink.handler.rcpt_times
    # Base 0.1 s in this worker: the n-th retry waits at least half of 0.1 x 2^(n-1).
    assert second - first >= 0.05 and third - second >= 0.1


def test_an_smtp_server_that_does_not_answer_is_timed_out_and_retried(
    worker, sink, warehouse, purchaser, planned
):
    sink.handler.script = ["hang"]  # no answer within EMAIL_TIMEOUT (3 s)
    sell(warehouse, planned, 30)
    assert one_email_sent(sink), worker.log_tail()
    row = OutboxEmail.objects.get()
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 2)
    assert "timed out" in row.last_error.lower()


@pytest.mark.parametrize(
    ("script", "attempts"),
    [(["550"], 1), (["451"] * 10, 6)],
    ids=["5xx-permanent", "4xx-every-time"],
)
def test_a_refused_email_ends_failed_and_admins_see_it(
    worker, sink, warehouse, purchaser, planned, admin_client, script, attempts
):
    sink.handler.script = list(script)
    sell(warehouse, planned, 30)
    assert wait_for(lambda: OutboxEmail.objects.filter(status=OutboxStatus.FAILED).exists()), (
        worker.log_tail()
    )
    row = OutboxEmail.objects.get()
    assert row.attempts == attempts and sink.handler.messages == []
    assert script[0] in row.last_error
    page = admin_client.get("/admin/alerts/outboxemail/?status__exact=failed").content.decode()
    assert row.dedup_key in page


def test_two_beats_enqueueing_the_digest_at_once_send_one_per_supplier(
    worker, second_worker, sink, warehouse, purchaser
):
    for name in ("Beauty Lab", "Toy Works"):
        sku = SKUFactory(supplier=SupplierFactory(name=name, lead_time_days=10, logistics_days=5))
        receive(warehouse, sku, 50)
        plan(warehouse, sku, 5)  # ROP 75: both to reorder
    first = daily_digest_task.delay("2026-11-20")
    second = daily_digest_task.delay("2026-11-20")  # the second beat, by mistake
    workers = [worker, second_worker]
    assert wait_for(
        lambda: all(any(finished(w, t.id) for w in workers) for t in (first, second))
    ), worker.log_tail() + second_worker.log_tail()
    digests = OutboxEmail.objects.filter(kind="digest")
    assert wait_for(lambda: digests.filter(status=OutboxStatus.SENT).count() == 2)
    sweep = send_pending_emails_task.delay()
    assert wait_for(lambda: any(finished(w, sweep.id) for w in workers))
    subjects = sorted(
        line
        for m in sink.handler.messages
        for line in m.content.decode().splitlines()
        if line.startswith("Subject: ") and "digest" in line
    )
    assert len(subjects) == 2, subjects
    assert "Beauty Lab" in subjects[0] and "Toy Works" in subjects[1]
    assert digests.count() == 2


def _point_broker_at(url: str) -> None:
    """Make this process (the web side) publish to `url` from now on."""
    celery_app.conf.broker_url = url
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
        celery_app._pool = None
    celery_app.amqp._producer_pool = None
    kombu.pools.reset()


@pytest.fixture
def redis_down(settings):
    """Redis gone for the web process: broker and cache point at a closed port."""
    real = celery_app.conf.broker_url
    closed = f"redis://127.0.0.1:{free_port()}/0"
    _point_broker_at(closed)
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": closed}
    }
    yield lambda: _point_broker_at(real)
    _point_broker_at(real)


def test_with_redis_down_pages_and_posting_work_and_the_email_goes_out_after_recovery(
    worker, sink, client, warehouse, manager, purchaser, planned, redis_down
):
    # The check the receipt scheduled before the outage has run (the worker's Redis is up):
    # while it is scheduled, postings only queue their pairs for it.
    assert wait_for(lambda: not RecheckFlag.objects.exists()), worker.log_tail()
    client.force_login(manager)
    for url in ("/", "/skus/", f"/skus/{planned.pk}/", "/movements/", "/replenishment/"):
        assert client.get(url).status_code == 200, url
    response = client.post(
        "/movements/new/",
        {"action": "adjustment", "warehouse": "A", "sku": "LIP-01", "quantity": "-30"},
    )
    assert response.status_code == 302
    # The stock check ran in-process instead: the alert is open, its email waits in the outbox.
    assert Alert.objects.filter(resolved_at=None).count() == 1
    row = OutboxEmail.objects.get()
    assert row.status == OutboxStatus.PENDING and sink.handler.messages == []
    upload = client.post(
        "/imports/",
        {
            "kind": "receipts",
            "warehouse": "A",
            "file": _csv("seller_sku,quantity,unit_cost,received_at\nLIP-01,5,4.00,2026-01-05\n"),
        },
    )
    assert upload.status_code == 302
    job = ImportJob.objects.get()
    assert client.get(f"/imports/{job.pk}/").status_code == 200
    assert job.status == ImportStatus.QUEUED
    assert client.get("/alerts/").status_code == 200

    redis_down()  # Redis is back; beat's sweeps run (rows aged past their 5-minute grace)
    OutboxEmail.objects.filter(pk=row.pk).update(
        created_at=timezone.now() - timezone.timedelta(minutes=10)
    )
    ImportJob.objects.filter(pk=job.pk).update(
        created_at=timezone.now() - timezone.timedelta(minutes=10)
    )
    send_pending_emails_task.delay()
    import_jobs_requeue_task.delay()
    assert one_email_sent(sink), worker.log_tail()
    assert wait_for(lambda: ImportJob.objects.get().status == ImportStatus.DONE), worker.log_tail()
    row.refresh_from_db()
    assert row.status == OutboxStatus.SENT


def _csv(text: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("receipts.csv", text.encode(), content_type="text/csv")
