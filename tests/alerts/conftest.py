import socket
from datetime import timedelta

import pytest
from django.utils import timezone

from config.celery_app import app as celery_app
from inventory.models import MovementKind, SkuFacts
from inventory.services import movement_post


@pytest.fixture
def eager():
    """Run Celery tasks in-process (the hook's `delay` included), retries too.

    Errors are not propagated (Celery would then raise `Retry` instead of retrying); every test
    asserts on what the tasks did, so a failing task still fails it.
    """
    before = (celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates)
    celery_app.conf.update(task_always_eager=True, task_eager_propagates=False)
    try:
        yield
    finally:
        celery_app.conf.update(task_always_eager=before[0], task_eager_propagates=before[1])


def receive(warehouse, sku, qty, **kw):
    return movement_post(
        warehouse=warehouse, sku=sku, kind=MovementKind.RECEIPT, quantity=qty, **kw
    )


def sell(warehouse, sku, qty, **kw):
    return movement_post(warehouse=warehouse, sku=sku, kind=MovementKind.SALE, quantity=-qty, **kw)


def set_demand(warehouse, sku, d, sd=0.0):
    """Demand facts as the nightly demand step would have written them."""
    SkuFacts.objects.update_or_create(
        warehouse=warehouse,
        sku=sku,
        defaults={
            "as_of": timezone.localdate(),
            "avg_daily_demand": d,
            "demand_std": sd,
            "available_days": 90,
            "computed_at": timezone.now(),
        },
    )


def plan(warehouse, sku, d, sd=0.0):
    """Facts + the planning step, without the demand step (which would recompute d)."""
    from alerts.planning import planning_recompute

    set_demand(warehouse, sku, d, sd)
    planning_recompute(timezone.localdate())


class Recorder:
    """aiosmtpd handler: records messages; can refuse the first N recipients with 451."""

    def __init__(self):
        self.messages = []
        self.refuse = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse > 0:
            self.refuse -= 1
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 Message accepted for delivery"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(settings):
    """A real SMTP server on loopback; Django sends to it over SMTP."""
    from aiosmtpd.controller import Controller

    handler = Recorder()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    try:
        yield handler
    finally:
        controller.stop()


def soon(seconds=60):
    return timezone.now() + timedelta(seconds=seconds)
