"""Receiving goods on a purchase order: RECEIPT movements through `inventory.services`.

Lock order: the order row, then its lines by primary key, then (inside the posting service) the
balance rows. Two receipts of one line therefore queue on the line lock, and the second sees the
first's received quantity before it checks what is still open.
"""

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.models import (
    SKU,
    MovementKind,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    StockMovement,
    Warehouse,
)
from inventory.purchasing.services import PurchaseOrderConflict, lock_order, quantity_error
from inventory.services import MovementLine, PostedMovement, movements_post

PO_SOURCE = "po"
RECEIVABLE_STATUSES = (PurchaseOrderStatus.SENT, PurchaseOrderStatus.PARTLY_RECEIVED)
RECEIPT_REF_MAX_LENGTH = 64


@dataclass(frozen=True)
class ReceiptLine:
    """Units of one SKU of the order that arrived."""

    sku: SKU
    quantity: int


@dataclass
class Receipt:
    """What a receipt did: the movements (created or found again) and the order afterwards."""

    purchase_order: PurchaseOrder
    movements: list[PostedMovement] = field(default_factory=list)

    @property
    def created(self) -> bool:
        return any(posted.created for posted in self.movements)


def _movement_ref(order: PurchaseOrder, line: PurchaseOrderLine, receipt_ref: str) -> str:
    return f"{order.number}:L{line.pk}:{receipt_ref}"


def _clean_receipt_ref(receipt_ref: str | None) -> str:
    if receipt_ref is None:
        return uuid.uuid4().hex
    receipt_ref = str(receipt_ref).strip()
    if not receipt_ref:
        raise ValidationError(_("The receipt reference must not be blank."))
    if len(receipt_ref) > RECEIPT_REF_MAX_LENGTH:
        raise ValidationError(
            _("The receipt reference is longer than %(max)s characters.")
            % {"max": RECEIPT_REF_MAX_LENGTH}
        )
    return receipt_ref


def _receivable_error(order: PurchaseOrder) -> str | None:
    if order.status == PurchaseOrderStatus.DRAFT:
        return _("%(number)s is still a draft; send it before receiving goods.")
    if order.status == PurchaseOrderStatus.CANCELLED:
        return _("%(number)s is cancelled; nothing can be received on it.")
    if order.status == PurchaseOrderStatus.RECEIVED:
        return _("%(number)s is already fully received.")
    return None


def _local_date(moment: datetime, warehouse: Warehouse) -> date:
    return timezone.localtime(moment, ZoneInfo(warehouse.timezone)).date()


@transaction.atomic
def purchase_order_receive(
    *,
    purchase_order: PurchaseOrder,
    lines: list[ReceiptLine],
    received_at: datetime | None = None,
    receipt_ref: str | None = None,
    user=None,
) -> Receipt:
    """Receive goods on an open order: a RECEIPT movement per line, received quantities, status.

    Idempotent on `receipt_ref` (a delivery-note number, or the token of the form that was
    submitted): the same receipt posted twice changes nothing the second time. A line's first
    receipt records its actual lead time in days (warehouse calendar) since the order was sent.
    Refusals (draft or closed order, unknown SKU, more than open) raise ValidationError and
    write nothing.
    """
    receipt_ref = _clean_receipt_ref(receipt_ref)
    received_at = received_at or timezone.now()
    if timezone.is_naive(received_at):
        raise ValidationError(_("The receipt time needs a time zone."))
    order = lock_order(purchase_order)
    by_sku = {
        line.sku_id: line
        for line in PurchaseOrderLine.objects.select_for_update(of=("self",))
        .select_related("sku")
        .filter(purchase_order=order)
        .order_by("pk")
    }
    match_errors, wanted = _match_receipt_lines(order, lines, by_sku)
    refs = [_movement_ref(order, line, receipt_ref) for line, _qty in wanted]
    already = {
        row.external_ref: row
        for row in StockMovement.objects.filter(source=PO_SOURCE, external_ref__in=refs)
    }
    if wanted and not match_errors and len(already) == len(refs):
        # The same receipt again (a retried request, a double submit): nothing more to do.
        return Receipt(order, [PostedMovement(already[ref], False) for ref in refs])
    if error := _receivable_error(order):
        raise PurchaseOrderConflict(error % {"number": order.number})
    if not lines:
        raise ValidationError(_("Enter the quantity received for at least one line."))
    if match_errors:
        raise ValidationError(match_errors)
    if received_at < order.ordered_at:
        raise ValidationError(
            _("The goods cannot have arrived before %(number)s was sent (%(when)s).")
            % {"number": order.number, "when": order.ordered_at.isoformat()}
        )
    errors = [
        _("%(sku)s: only %(open)s of %(ordered)s are still open; %(qty)s cannot be received.")
        % {
            "sku": line.sku.seller_sku,
            "open": line.open_quantity,
            "ordered": line.quantity,
            "qty": qty,
        }
        for (line, qty), ref in zip(wanted, refs, strict=True)
        if ref not in already and qty > line.open_quantity
    ]
    if errors:
        raise PurchaseOrderConflict(errors)

    movement_lines = [
        MovementLine(
            warehouse=order.warehouse,
            sku=line.sku,
            kind=MovementKind.RECEIPT,
            quantity=qty,
            occurred_at=received_at,
            unit_cost=line.unit_cost,
            external_ref=_movement_ref(order, line, receipt_ref),
            note=_("Received on %(number)s") % {"number": order.number},
        )
        for line, qty in wanted
    ]
    posted = movements_post(lines=movement_lines, source=PO_SOURCE, user=user)
    changed = []
    for (line, qty), result in zip(wanted, posted, strict=True):
        if not result.created:
            continue
        line.received_quantity += qty
        if line.first_received_at is None:
            line.first_received_at = received_at
            line.actual_lead_time_days = (
                _local_date(received_at, order.warehouse)
                - _local_date(order.ordered_at, order.warehouse)
            ).days
        changed.append(line)
    if changed:
        PurchaseOrderLine.objects.bulk_update(
            changed, ["received_quantity", "first_received_at", "actual_lead_time_days"]
        )
        fully = all(line.open_quantity == 0 for line in by_sku.values())
        order.status = (
            PurchaseOrderStatus.RECEIVED if fully else PurchaseOrderStatus.PARTLY_RECEIVED
        )
        order.save(update_fields=["status"])
    return Receipt(purchase_order=order, movements=posted)


def _match_receipt_lines(
    order: PurchaseOrder, lines: list[ReceiptLine], by_sku: dict[int, PurchaseOrderLine]
) -> tuple[list[str], list[tuple[PurchaseOrderLine, int]]]:
    errors: list[str] = []
    wanted: list[tuple[PurchaseOrderLine, int]] = []
    seen: set[int] = set()
    for item in lines:
        label = item.sku.seller_sku
        line = by_sku.get(item.sku.pk)
        if line is None:
            errors.append(
                _("%(sku)s is not on %(number)s.") % {"sku": label, "number": order.number}
            )
            continue
        if item.sku.pk in seen:
            errors.append(_("%(sku)s appears twice; put it on one line.") % {"sku": label})
            continue
        seen.add(item.sku.pk)
        if error := quantity_error(item.quantity, label):
            errors.append(error)
            continue
        wanted.append((line, item.quantity))
    return errors, wanted
