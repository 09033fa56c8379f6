"""Audit history: who changed what, when, and the values before and after.

Services call `record(...)` inside the transaction that makes the change, so a rolled-back change
leaves no history and a committed one always has it. Any app may record its own objects (count
approvals, clearance decisions): the object is named by its model label and primary key.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import QuerySet
from django.utils import timezone

from inventory.models import AuditEntry

# Actions, by convention "<object>.<verb>".
SKU_CREATE = "sku.create"
SKU_UPDATE = "sku.update"


def _json_value(value: Any) -> Any:
    """A JSON-safe form of a field value (decimals as text so 4.10 stays 4.10)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_json_value(v) for v in value]
    return str(value)


def snapshot(obj: models.Model, fields: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """The JSON-safe values of `fields` on `obj` (a foreign key by its str(), e.g. a name).

    Decimals are written with their field's places, so 4.00 typed in a form equals the stored
    4.0000 and is not reported as a change.
    """
    values = {}
    for name in fields:
        value = getattr(obj, name)
        field = obj._meta.get_field(name)
        if isinstance(field, models.DecimalField) and isinstance(value, Decimal | int):
            value = Decimal(value).quantize(Decimal(1).scaleb(-field.decimal_places))
        values[name] = _json_value(value)
    return values


def changed(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict, dict]:
    """Only the keys whose value differs: (before, after)."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def entry(
    *,
    user,
    action: str,
    obj: models.Model,
    before: dict | None = None,
    after: dict | None = None,
    source: str = "",
    at: datetime | None = None,
) -> AuditEntry:
    """An unsaved entry (for `record_many`)."""
    return AuditEntry(
        at=at or timezone.now(),
        user=user if user is not None and getattr(user, "is_authenticated", False) else None,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        source=source,
        before=_json_value(before or {}),
        after=_json_value(after or {}),
    )


def record(
    *,
    user,
    action: str,
    obj: models.Model,
    before: dict | None = None,
    after: dict | None = None,
    source: str = "",
) -> AuditEntry:
    """Write one audit entry: who (`user`, None for the system), what (`action` on `obj`),
    the values before and after. Call it inside the transaction that makes the change."""
    row = entry(user=user, action=action, obj=obj, before=before, after=after, source=source)
    row.save()
    return row


def record_many(entries: list[AuditEntry]) -> None:
    """Write many entries at once (bulk imports)."""
    AuditEntry.objects.bulk_create(entries, batch_size=1000)


def history_for(obj: models.Model) -> QuerySet[AuditEntry]:
    """The audit entries of one object, newest first."""
    return AuditEntry.objects.filter(
        object_type=obj._meta.label_lower, object_id=str(obj.pk)
    ).select_related("user")
