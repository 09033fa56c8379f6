"""Celery tasks: thin interfaces over alerts services (ids in, never model instances)."""

import logging

from celery import shared_task

from alerts import emails, rechecks

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def recheck_pending_task() -> int:
    """The real-time check of every pair postings queued (and the beat's minute sweep);
    returns the number of alerts opened."""
    return len(rechecks.recheck_pending())


@shared_task(acks_late=True)
def recheck_movements_task(movement_ids: list[int]) -> int:
    """The check task of the releases before the queue: messages still waiting in the broker
    through an upgrade are checked as they were."""
    return len(rechecks.recheck_movements(movement_ids))


@shared_task(bind=True, acks_late=True, max_retries=None)
def send_outbox_email_task(self, outbox_id: int) -> bool:
    """Send one outbox row; a temporary refusal retries after the backoff the row recorded."""
    outcome = emails.outbox_send(outbox_id)
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.sent


@shared_task(acks_late=True)
def send_pending_emails_task() -> int:
    """Beat sweep: re-enqueue pending rows whose task seems lost (broker down, worker lost)."""
    ids = emails.outbox_due_ids()
    for pk in ids:
        send_outbox_email_task.delay(pk)
    return len(ids)


@shared_task(acks_late=True)
def daily_digest_task(day: str | None = None) -> int:
    """Beat: the daily reorder digest per supplier (idempotent per day)."""
    from datetime import date

    return len(emails.digests_enqueue(date.fromisoformat(day) if day else None))
