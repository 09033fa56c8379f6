"""Purchase-order writes: create, create from a replenishment selection, send, cancel.

Receiving is in `receipts.py`. Lock order, the same everywhere: the order row, then its lines by
primary key, then (inside the posting service) the balance rows.
"""

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.models import (
    SKU,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    StockBalance,
    Supplier,
    Warehouse,
)

_MAX_QUANTITY = 10_000_000
# An expected delivery further away than this is a typo (2099 for 2026), not a plan.
MAX_EXPECTED_DAYS_AHEAD = 365


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


def _number_for(pk: int) -> str:
    return f"PO-{pk:06d}"


def quantity_error(quantity, label: str) -> str | None:
    """The reason a quantity of units is refused, or None."""
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
        if error := quantity_error(line.quantity, label):
            errors.append(error)
        if line.unit_cost is not None and line.unit_cost < 0:
            errors.append(_("%(sku)s: the unit cost must not be negative.") % {"sku": label})
        latest = timezone.localdate() + timedelta(days=MAX_EXPECTED_DAYS_AHEAD)
        if line.expected_date is not None and line.expected_date > latest:
            errors.append(
                _("%(sku)s: the expected date %(date)s is too far in the future.")
                % {"sku": label, "date": line.expected_date.isoformat()}
            )
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
        if error := quantity_error(quantity, sku.seller_sku):
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


def lock_order(purchase_order: PurchaseOrder) -> PurchaseOrder:
    """The order re-read under a row lock (the first lock any order write takes)."""
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
    order = lock_order(purchase_order)
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
    order = lock_order(purchase_order)
    if order.status in (PurchaseOrderStatus.RECEIVED, PurchaseOrderStatus.CANCELLED):
        raise PurchaseOrderConflict(
            _("%(number)s is %(status)s and cannot be cancelled.")
            % {"number": order.number, "status": order.get_status_display()}
        )
    order.status = PurchaseOrderStatus.CANCELLED
    order.save(update_fields=["status"])
    return order
