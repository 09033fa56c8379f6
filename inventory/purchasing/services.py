"""Purchase-order writes. Receipts post RECEIPT movements through `inventory.services`.

Lock order, the same everywhere: the order row, then its lines by primary key, then (inside the
posting service) the balance rows. Two receipts of one line therefore queue on the line lock, and
the second sees the first's received quantity before it checks what is still open.
"""

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
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
    StockBalance,
    StockMovement,
    Supplier,
    Warehouse,
)
from inventory.services import MovementLine, PostedMovement, movements_post

PO_SOURCE = "po"
RECEIVABLE_STATUSES = (PurchaseOrderStatus.SENT, PurchaseOrderStatus.PARTLY_RECEIVED)
RECEIPT_REF_MAX_LENGTH = 64
_MAX_QUANTITY = 10_000_000


class PurchaseOrderConflict(ValidationError):
    """A refusal caused by the order's current state (already sent, received, cancelled, or
    less open than the receipt), as opposed to bad input."""


@dataclass(frozen=True)
class OrderLine:
    """One line of a new purchase order."""

    sku: SKU
    quantity: int
    unit_cost: Decimal | None = None
    expected_date: date | None = None


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


def _number_for(pk: int) -> str:
    return f"PO-{pk:06d}"


def _check_quantity(quantity, label: str) -> str | None:
    if not isinstance(quantity, int) or isinstance(quantity, bool):
        return _("%(sku)s: the quantity must be a whole number of units.") % {"sku": label}
    if quantity <= 0:
        return _("%(sku)s: the quantity must be greater than zero.") % {"sku": label}
    if quantity > _MAX_QUANTITY:
        return _("%(sku)s: the quantity %(qty)s is not plausible.") % {
            "sku": label,
            "qty": quantity,
        }
    return None


def _order_line_errors(lines: list[OrderLine]) -> list[str]:
    if not lines:
        return [_("A purchase order needs at least one line.")]
    errors = []
    seen: set[int] = set()
    for line in lines:
        label = line.sku.seller_sku
        if line.sku.pk in seen:
            errors.append(_("%(sku)s appears twice; put it on one line.") % {"sku": label})
        seen.add(line.sku.pk)
        if error := _check_quantity(line.quantity, label):
            errors.append(error)
        if line.unit_cost is not None and line.unit_cost < 0:
            errors.append(_("%(sku)s: the unit cost must not be negative.") % {"sku": label})
    return errors


@transaction.atomic
def purchase_order_create(
    *,
    supplier: Supplier,
    warehouse: Warehouse,
    lines: list[OrderLine],
    user=None,
    note: str = "",
) -> PurchaseOrder:
    """Create a draft purchase order with its lines; refuses bad lines and writes nothing."""
    errors = _order_line_errors(lines)
    if errors:
        raise ValidationError(errors)
    # A unique placeholder, replaced by the number derived from the primary key: no race
    # between two users creating orders at the same moment.
    order = PurchaseOrder.objects.create(
        number=f"new-{uuid.uuid4().hex[:24]}",
        supplier=supplier,
        warehouse=warehouse,
        status=PurchaseOrderStatus.DRAFT,
        note=note[:255],
        created_by=user if user is not None and user.is_authenticated else None,
    )
    order.number = _number_for(order.pk)
    order.save(update_fields=["number"])
    PurchaseOrderLine.objects.bulk_create(
        [
            PurchaseOrderLine(
                purchase_order=order,
                sku=line.sku,
                quantity=line.quantity,
                unit_cost=line.unit_cost if line.unit_cost is not None else line.sku.unit_cost,
                expected_date=line.expected_date,
            )
            for line in lines
        ]
    )
    return order


def _lead_time_days(sku: SKU, supplier: Supplier | None) -> int:
    procurement = sku.lead_time_days
    logistics = sku.logistics_days
    if procurement is None:
        procurement = supplier.lead_time_days if supplier else 0
    if logistics is None:
        logistics = supplier.logistics_days if supplier else 0
    return procurement + logistics


@transaction.atomic
def purchase_orders_create_for_skus(
    *, warehouse: Warehouse, quantities: dict[SKU, int], user=None
) -> list[PurchaseOrder]:
    """One draft purchase order per supplier for the given SKUs and quantities.

    Used by the replenishment list ("create purchase order from selected rows"). Each line costs
    the SKU's unit cost and is expected after its lead time (procurement + logistics days).
    """
    if not quantities:
        raise ValidationError(_("Select at least one SKU to order."))
    errors = []
    for sku, quantity in quantities.items():
        if error := _check_quantity(quantity, sku.seller_sku):
            errors.append(error)
        if sku.supplier_id is None:
            errors.append(
                _("%(sku)s has no supplier; set one before ordering it.") % {"sku": sku.seller_sku}
            )
    if errors:
        raise ValidationError(errors)
    suppliers = Supplier.objects.in_bulk({sku.supplier_id for sku in quantities})
    by_supplier: dict[int, list[SKU]] = defaultdict(list)
    for sku in quantities:
        by_supplier[sku.supplier_id].append(sku)
    today = timezone.localdate(timezone=ZoneInfo(warehouse.timezone))
    orders = []
    for supplier_id in sorted(by_supplier, key=lambda pk: suppliers[pk].name):
        supplier = suppliers[supplier_id]
        skus = sorted(by_supplier[supplier_id], key=lambda s: s.seller_sku)
        lines = [
            OrderLine(
                sku=sku,
                quantity=quantities[sku],
                unit_cost=sku.unit_cost,
                expected_date=today + timedelta(days=_lead_time_days(sku, supplier)),
            )
            for sku in skus
        ]
        orders.append(
            purchase_order_create(supplier=supplier, warehouse=warehouse, lines=lines, user=user)
        )
    return orders


def _lock_order(purchase_order: PurchaseOrder) -> PurchaseOrder:
    return (
        PurchaseOrder.objects.select_for_update(of=("self",))
        .select_related("warehouse", "supplier")
        .get(pk=purchase_order.pk)
    )


@transaction.atomic
def purchase_order_send(
    *, purchase_order: PurchaseOrder, user=None, ordered_at: datetime | None = None
) -> PurchaseOrder:
    """Mark a draft as sent to the supplier: from now on its lines count as on order.

    `ordered_at` (default now) is where the actual lead time of each line starts.
    """
    order = _lock_order(purchase_order)
    if order.status != PurchaseOrderStatus.DRAFT:
        raise PurchaseOrderConflict(
            _("%(number)s is %(status)s; only a draft can be sent.")
            % {"number": order.number, "status": order.get_status_display()}
        )
    sku_ids = list(order.lines.values_list("sku_id", flat=True))
    if not sku_ids:
        raise ValidationError(_("%(number)s has no lines to send.") % {"number": order.number})
    ordered_at = ordered_at or timezone.now()
    if timezone.is_naive(ordered_at):
        raise ValidationError(_("The order time needs a time zone."))
    if ordered_at > timezone.now() + timedelta(minutes=5):
        raise ValidationError(_("An order cannot be sent in the future."))
    order.status = PurchaseOrderStatus.SENT
    order.ordered_at = ordered_at
    order.save(update_fields=["status", "ordered_at"])
    # A (warehouse, SKU) on order but never stocked there gets its zero balance row now, so the
    # stock list shows it with its on_order (a zero row agrees with an empty ledger).
    StockBalance.objects.bulk_create(
        [StockBalance(warehouse_id=order.warehouse_id, sku_id=pk, on_hand=0) for pk in sku_ids],
        ignore_conflicts=True,
    )
    return order


@transaction.atomic
def purchase_order_cancel(*, purchase_order: PurchaseOrder, user=None) -> PurchaseOrder:
    """Cancel an open order (draft, sent or partly received): what is still open leaves on_order.

    Units already received stay received; their movements are untouched.
    """
    order = _lock_order(purchase_order)
    if order.status in (PurchaseOrderStatus.RECEIVED, PurchaseOrderStatus.CANCELLED):
        raise PurchaseOrderConflict(
            _("%(number)s is %(status)s and cannot be cancelled.")
            % {"number": order.number, "status": order.get_status_display()}
        )
    order.status = PurchaseOrderStatus.CANCELLED
    order.save(update_fields=["status"])
    return order


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
    order = _lock_order(purchase_order)
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
        if error := _check_quantity(item.quantity, label):
            errors.append(error)
            continue
        wanted.append((line, item.quantity))
    return errors, wanted
