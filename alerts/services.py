"""Alert writes: open, escalate and resolve from the planning figures; acknowledge.

Opening is an INSERT … SELECT … ON CONFLICT DO NOTHING against the partial unique index
"one open alert per (warehouse, SKU)": two sales checked at the same moment cannot open two
alerts, and only the transaction whose row went in writes the opening email to the outbox.
"""

import logging
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alerts import emails
from alerts.models import Alert
from alerts.planning import planning_recheck

logger = logging.getLogger(__name__)

_ALERTING = "('STOCKOUT', 'BELOW_SAFETY', 'REORDER')"
_SEVERITY = (
    "CASE p.status WHEN 'STOCKOUT' THEN 'critical' WHEN 'BELOW_SAFETY' THEN 'high' "
    "ELSE 'medium' END"
)

_RESOLVE_SQL = """
UPDATE alerts_alert SET
    resolved_at = %(now)s,
    resolved_status = COALESCE((
        SELECT p.status FROM alerts_planningfigures p
        WHERE p.warehouse_id = alerts_alert.warehouse_id AND p.sku_id = alerts_alert.sku_id
    ), '')
WHERE resolved_at IS NULL
  AND NOT EXISTS (
      SELECT 1 FROM alerts_planningfigures p
      WHERE p.warehouse_id = alerts_alert.warehouse_id AND p.sku_id = alerts_alert.sku_id
        AND p.status IN {alerting}
  )
  {scope}
"""

# The same for the rows computed since a moment (the nightly step after an incremental
# planning step): one pass over the open alerts and the planning rows, then the few alerts to
# resolve by primary key.
_RESOLVE_SINCE_SQL = """
UPDATE alerts_alert SET resolved_at = %(now)s, resolved_status = COALESCE(x.status, '')
FROM (
    SELECT a.id, p.status FROM alerts_alert a
    LEFT JOIN alerts_planningfigures p ON p.warehouse_id = a.warehouse_id AND p.sku_id = a.sku_id
    WHERE a.resolved_at IS NULL
      AND (p.id IS NULL OR (p.computed_at >= %(since)s AND p.status NOT IN {alerting}))
) x
WHERE alerts_alert.id = x.id
"""

_ESCALATE_SQL = """
UPDATE alerts_alert SET status = p.status, urgency = p.urgency, severity = {severity}
FROM alerts_planningfigures p
WHERE p.warehouse_id = alerts_alert.warehouse_id AND p.sku_id = alerts_alert.sku_id
  AND alerts_alert.resolved_at IS NULL
  AND p.status IN {alerting}
  AND alerts_alert.status <> p.status
  {scope}
"""

_OPEN_SQL = """
INSERT INTO alerts_alert (
    warehouse_id, sku_id, status, opened_status, severity, urgency, on_hand_at_open,
    on_order_at_open, safety_stock_units, reorder_point_units, trigger, opened_at,
    resolved_status
)
SELECT p.warehouse_id, p.sku_id, p.status, p.status, {severity}, p.urgency, p.on_hand,
       p.on_order, p.safety_stock_units, p.reorder_point_units, %(trigger)s, %(now)s, ''
FROM alerts_planningfigures p
WHERE p.status IN {alerting}
  AND NOT EXISTS (
      SELECT 1 FROM alerts_alert a
      WHERE a.warehouse_id = p.warehouse_id AND a.sku_id = p.sku_id AND a.resolved_at IS NULL
  )
  {scope}
ON CONFLICT DO NOTHING
RETURNING id
"""


_SCOPE_ALERTS = (
    "AND EXISTS (SELECT 1 FROM alerts_planningfigures s WHERE s.id IN ({marks}) "
    "AND s.warehouse_id = alerts_alert.warehouse_id AND s.sku_id = alerts_alert.sku_id)"
)


def _scope(
    planning_ids: list[int] | None, alias: str, since: datetime | None = None
) -> tuple[str, dict]:
    """An SQL fragment limiting a statement to the given planning rows, or to the rows
    computed since `since` (none: everything)."""
    if since is not None:
        stamp = {"since": connection.ops.adapt_datetimefield_value(since)}
        return f"AND {alias}.computed_at >= %(since)s", stamp
    if planning_ids is None:
        return "", {}
    params = {f"pid{n}": pk for n, pk in enumerate(planning_ids)}
    marks = ", ".join(f"%({name})s" for name in params)
    if alias == "alerts_alert":
        return (
            _SCOPE_ALERTS.replace("{marks}", marks),
            params,
        )
    return f"AND {alias}.id IN ({marks})", params  # noqa: S608 - placeholders only


def _statement(sql: str) -> str:
    return sql.replace("{alerting}", _ALERTING).replace("{severity}", _SEVERITY)


def alerts_sync(
    *,
    planning_ids: list[int] | None = None,
    trigger: str = "nightly",
    changed_since: datetime | None = None,
) -> list[int]:
    """Resolve, escalate and open alerts from the planning figures (all, the given rows, or
    the rows computed since `changed_since`).

    Opening writes the opening emails to the outbox in the same transaction. Returns the ids
    of the alerts opened.
    """
    if planning_ids == []:
        return []
    now = timezone.now()
    named = {"now": connection.ops.adapt_datetimefield_value(now), "trigger": trigger}
    with transaction.atomic(), connection.cursor() as cursor:
        if changed_since is not None and connection.vendor == "postgresql":
            # Tens of thousands of rows in scope: hash joins, not an index lookup per alert.
            cursor.execute("SET LOCAL enable_nestloop = off")
        for sql, alias in (
            (_RESOLVE_SQL if changed_since is None else _RESOLVE_SINCE_SQL, "alerts_alert"),
            (_ESCALATE_SQL, "p"),
            (_OPEN_SQL, "p"),
        ):
            if sql is _RESOLVE_SINCE_SQL:
                scope_sql, scope_params = "", _scope(None, "p", changed_since)[1]
            else:
                scope_sql, scope_params = _scope(planning_ids, alias, changed_since)
            sql = _statement(sql).replace("{scope}", scope_sql)
            cursor.execute(sql, {**named, **scope_params})
        opened = sorted(row[0] for row in cursor.fetchall())
        if changed_since is not None and connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_nestloop = on")
        if opened:
            emails.alert_opened_emails_enqueue(opened)
    if opened:
        logger.info("opened %d stock alerts (%s)", len(opened), trigger)
    return opened


def alerts_nightly(as_of: date) -> None:
    """Nightly step (after planning): bring every alert in line with the planning figures.

    After an incremental planning step only the rows it wrote can have changed status.
    """
    from inventory.window import run_state

    run = run_state(as_of)
    if run and run.previous_completed:
        alerts_sync(trigger="nightly", changed_since=run.run_started_at)
    else:
        alerts_sync(trigger="nightly")


def recheck_pairs(pairs: set[tuple[int, int]]) -> list[int]:
    """The real-time check: re-evaluate the given (warehouse, SKU) pairs against live stock;
    open/resolve alerts. Returns the ids of the alerts opened."""
    with transaction.atomic():
        planning_ids = planning_recheck(pairs)
        return alerts_sync(planning_ids=planning_ids, trigger="posting")


def alert_acknowledge(*, alert: Alert, user) -> Alert:
    """Record who acknowledged an open alert and when (the first acknowledgement counts)."""
    with transaction.atomic():
        alert = Alert.objects.select_for_update().get(pk=alert.pk)
        if alert.resolved_at is not None:
            raise ValidationError(_("This alert is already resolved."))
        if alert.acknowledged_at is None:
            alert.acknowledged_at = timezone.now()
            alert.acknowledged_by = user
            alert.save(update_fields=["acknowledged_at", "acknowledged_by"])
    return alert
