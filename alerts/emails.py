"""Reorder emails through an outbox.

Rows are written in the transaction that causes them (an alert opening, the daily digest), each
with a unique dedup key, and handed to Celery only after that transaction commits: a rollback
sends nothing, a duplicate delivery or a second beat process sends once. Sending locks the row,
so two workers holding the same task cannot both send it; a refusal by the server is recorded
and retried with exponential backoff and jitter, then the row is marked failed (see the admin).
"""

import csv
import io
import logging
import random
import smtplib
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from alerts import formulas
from alerts.explain import explanation
from alerts.models import Alert, OutboxEmail, OutboxStatus, PlanningFigures
from alerts.selectors import Recipient, purchasers_by_warehouse
from inventory.exports import neutralise_cell

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX_SECONDS = 3600


def _link(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _by_language(recipients: list[Recipient]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = defaultdict(list)
    for r in recipients:
        if r.email not in groups[r.language]:
            groups[r.language].append(r.email)
    return groups


def alert_opened_emails_enqueue(alert_ids: list[int]) -> int:
    """Write one opening email per alert (one per language among the warehouse's purchasers).

    Call inside the transaction that opened the alerts. Returns the number of emails written.
    Works in chunks, so a night that opens tens of thousands of alerts holds only a chunk of
    them (and their rendered emails) in memory at a time.
    """
    written = 0
    for start in range(0, len(alert_ids), ALERT_CHUNK):
        written += len(_alert_opened_chunk(alert_ids[start : start + ALERT_CHUNK]))
    return written


ALERT_CHUNK = 1000


def _alert_opened_chunk(alert_ids: list[int]) -> list[str]:
    alerts = list(
        Alert.objects.filter(pk__in=alert_ids).select_related("warehouse", "sku", "sku__supplier")
    )
    warehouse_ids = {a.warehouse_id for a in alerts}
    figures = {
        (p.warehouse_id, p.sku_id): p
        for p in PlanningFigures.objects.filter(
            warehouse_id__in=warehouse_ids, sku_id__in={a.sku_id for a in alerts}
        )
    }
    recipients = purchasers_by_warehouse(warehouse_ids)
    rows = []
    for alert in alerts:
        row = figures.get((alert.warehouse_id, alert.sku_id))
        if row is None:
            continue
        for language, to in _by_language(recipients.get(alert.warehouse_id, [])).items():
            rows.append(_render_alert_opened(alert, row, language, to))
    return _outbox_write(rows)


def _render_alert_opened(alert: Alert, row: PlanningFigures, language: str, to: list[str]):
    link = _link(
        reverse("alerts:replenishment")
        + f"?warehouse={alert.warehouse.code}&q={alert.sku.seller_sku}"
    )
    with translation.override(language):
        context = {
            "alert": alert,
            "row": row,
            "sku": alert.sku,
            "warehouse": alert.warehouse,
            "status_label": alert.get_status_display(),
            "explanation": explanation(row),
            "link": link,
            "language": language,
        }
        subject = " ".join(
            render_to_string("alerts/email/alert_opened_subject.txt", context).split()
        )
        text = render_to_string("alerts/email/alert_opened.txt", context)
        html = render_to_string("alerts/email/alert_opened.html", context)
    return OutboxEmail(
        dedup_key=f"alert-open:{alert.pk}:{language}",
        kind="alert_open",
        language=language,
        to=to,
        subject=subject[:255],
        body_text=text,
        body_html=html,
    )


DIGEST_COLUMNS = (
    ("warehouse", "Warehouse"),
    ("seller_sku", "Seller SKU"),
    ("name", "Name"),
    ("status", "Status"),
    ("on_hand", "On hand"),
    ("on_order", "On order"),
    ("avg_daily_demand", "Average daily demand"),
    ("lead_time_days", "Lead time (days)"),
    ("safety_stock", "Safety stock"),
    ("reorder_point", "Reorder point"),
    ("suggested_order_qty", "Suggested order quantity"),
    ("explanation", "Explanation"),
)


def digests_enqueue(day: date | None = None) -> list[str]:
    """The daily digest: per supplier and purchaser, every SKU to reorder in their warehouses.

    Idempotent per day (dedup key digest:<supplier>:<day>:<user>). Returns the keys written.
    """
    day = day or timezone.localdate()
    rows = list(
        PlanningFigures.objects.filter(
            status__in=formulas.ALERTING, sku__active=True, sku__supplier__isnull=False
        )
        .select_related("warehouse", "sku", "sku__supplier")
        .order_by("sku__supplier__name", "warehouse__code", "urgency", "sku__seller_sku")
    )
    recipients = purchasers_by_warehouse({r.warehouse_id for r in rows})
    # (supplier id, user id) -> rows of the user's warehouses
    batches: dict[tuple[int, int], list[PlanningFigures]] = defaultdict(list)
    people: dict[int, Recipient] = {}
    for row in rows:
        for person in recipients.get(row.warehouse_id, []):
            people[person.user_id] = person
            batches[(row.sku.supplier_id, person.user_id)].append(row)
    emails = []
    with transaction.atomic():
        for (_supplier_id, user_id), supplier_rows in batches.items():
            person = people[user_id]
            emails.append(_render_digest(supplier_rows, person, day))
        return _outbox_write(emails)


def _render_digest(rows: list[PlanningFigures], person: Recipient, day: date) -> OutboxEmail:
    supplier = rows[0].sku.supplier
    link = _link(reverse("alerts:replenishment") + f"?supplier={supplier.pk}")
    with translation.override(person.language):
        lines = [(row, explanation(row)) for row in rows]
        context = {
            "supplier": supplier,
            "lines": lines,
            "day": day.isoformat(),
            "link": link,
            "language": person.language,
        }
        subject = " ".join(render_to_string("alerts/email/digest_subject.txt", context).split())
        text = render_to_string("alerts/email/digest.txt", context)
        html = render_to_string("alerts/email/digest.html", context)
        attachment = _digest_csv(lines)
    return OutboxEmail(
        dedup_key=f"digest:{supplier.pk}:{day.isoformat()}:{person.user_id}",
        kind="digest",
        language=person.language,
        to=[person.email],
        subject=subject[:255],
        body_text=text,
        body_html=html,
        attachments=[
            {
                "filename": f"reorder-{day.isoformat()}-supplier-{supplier.pk}.csv",
                "content": attachment,
                "mimetype": "text/csv",
            }
        ],
    )


def _digest_csv(lines) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_(label) for _key, label in DIGEST_COLUMNS])
    for row, why in lines:
        values = {
            "warehouse": row.warehouse.code,
            "seller_sku": row.sku.seller_sku,
            "name": row.sku.name,
            "status": row.status,
            "on_hand": row.on_hand,
            "on_order": row.on_order,
            "avg_daily_demand": f"{row.avg_daily_demand:.2f}",
            "lead_time_days": row.lead_time_days,
            "safety_stock": row.safety_stock_units,
            "reorder_point": row.reorder_point_units,
            "suggested_order_qty": row.suggested_order_qty,
            "explanation": why,
        }
        writer.writerow([neutralise_cell(values[key]) for key, _label in DIGEST_COLUMNS])
    return out.getvalue()


def _outbox_write(rows: list[OutboxEmail]) -> list[str]:
    """Insert (duplicates by dedup key are ignored) and hand the pending ones to Celery on
    commit."""
    if not rows:
        return []
    OutboxEmail.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    keys = [row.dedup_key for row in rows]
    transaction.on_commit(lambda: outbox_dispatch(keys))
    return keys


def outbox_dispatch(keys: list[str] | None = None) -> int:
    """Enqueue a send task per pending row (of the given keys, or every row due)."""
    from alerts.tasks import send_outbox_email_task

    rows = OutboxEmail.objects.filter(status=OutboxStatus.PENDING)
    if keys is not None:
        rows = rows.filter(dedup_key__in=keys)
    ids = list(rows.values_list("pk", flat=True))
    for pk in ids:
        try:
            send_outbox_email_task.delay(pk)
        except Exception:  # broker down: the periodic sweep sends it later
            logger.exception("could not enqueue outbox email %s", pk)
    return len(ids)


def outbox_due_ids(grace_seconds: int = 300) -> list[int]:
    """Pending rows whose send task seems lost: created or due more than `grace` ago."""
    limit = timezone.now() - timedelta(seconds=grace_seconds)
    rows = OutboxEmail.objects.filter(status=OutboxStatus.PENDING).filter(
        next_attempt_at__lte=limit
    ) | OutboxEmail.objects.filter(
        status=OutboxStatus.PENDING, next_attempt_at__isnull=True, created_at__lte=limit
    )
    return list(rows.values_list("pk", flat=True))


@dataclass(frozen=True)
class SendOutcome:
    sent: bool
    retry_in: float | None = None  # seconds, when the server refused and we try again


def backoff_seconds(attempts: int) -> float:
    """Exponential backoff with jitter: half the step fixed, half random."""
    base = settings.STOCKWISE.get("EMAIL_RETRY_BASE_SECONDS", BACKOFF_BASE_SECONDS)
    step = min(BACKOFF_MAX_SECONDS, base * 2 ** max(0, attempts - 1))
    return step / 2 + random.uniform(0, step / 2)  # noqa: S311 - jitter, not security


def _permanent(exc: Exception) -> bool:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in exc.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    return isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500


def outbox_send(outbox_id: int) -> SendOutcome:
    """Send one pending row, at most once. The row stays locked while the server answers.

    A temporary refusal (4xx, connection errors) is recorded and asks for a retry until
    MAX_ATTEMPTS; then, or on a permanent refusal (5xx), the row is marked failed.
    """
    with transaction.atomic():
        row = (
            OutboxEmail.objects.select_for_update(skip_locked=True)
            .filter(pk=outbox_id, status=OutboxStatus.PENDING)
            .first()
        )
        if row is None:
            return SendOutcome(sent=False)
        row.attempts += 1
        now = timezone.now()
        try:
            _message(row).send(fail_silently=False)
        except (smtplib.SMTPException, OSError) as exc:
            row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if _permanent(exc) or row.attempts >= MAX_ATTEMPTS:
                row.status = OutboxStatus.FAILED
                row.next_attempt_at = None
                outcome = SendOutcome(sent=False)
                logger.error("email %s failed for good: %s", row.dedup_key, row.last_error)
            else:
                delay = backoff_seconds(row.attempts)
                row.next_attempt_at = now + timedelta(seconds=delay)
                outcome = SendOutcome(sent=False, retry_in=delay)
                logger.warning("email %s refused, retry in %.0f s", row.dedup_key, delay)
        else:
            row.status = OutboxStatus.SENT
            row.sent_at = now
            row.next_attempt_at = None
            outcome = SendOutcome(sent=True)
        row.save()
    return outcome


def outbox_retry(outbox_ids: list[int]) -> int:
    """Put failed rows back to pending (admin action) and enqueue them."""
    rows = OutboxEmail.objects.filter(pk__in=outbox_ids, status=OutboxStatus.FAILED)
    keys = list(rows.values_list("dedup_key", flat=True))
    rows.update(status=OutboxStatus.PENDING, attempts=0, next_attempt_at=None)
    transaction.on_commit(lambda: outbox_dispatch(keys))
    return len(keys)


def _message(row: OutboxEmail) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=row.subject,
        body=row.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=row.to,
        headers={"Content-Language": row.language, "X-Stockwise-Key": row.dedup_key},
    )
    message.attach_alternative(row.body_html, "text/html")
    for item in row.attachments:
        message.attach(item["filename"], item["content"], item["mimetype"])
    return message
