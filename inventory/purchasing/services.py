"""Purchase-order writes (minimal: draft orders from the replenishment list)."""

import uuid
from collections import defaultdict
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.models import SKU, PurchaseOrder, PurchaseOrderLine, Warehouse


@transaction.atomic
def purchase_orders_create_for_skus(
    *, warehouse: Warehouse, quantities: dict[SKU, int], user=None
) -> list[PurchaseOrder]:
    """One draft purchase order per supplier for the given SKUs and quantities.

    Raises ValidationError (nothing written) for no SKU, a quantity < 1 or a SKU without supplier.
    """
    if not quantities:
        raise ValidationError(_("Select at least one SKU to order."))
    errors = []
    for sku, quantity in quantities.items():
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
            errors.append(
                _("The quantity of %(sku)s must be a whole number above 0.")
                % {"sku": sku.seller_sku}
            )
        if sku.supplier_id is None:
            errors.append(
                _("%(sku)s has no supplier; set one before ordering it.") % {"sku": sku.seller_sku}
            )
    if errors:
        raise ValidationError(errors)
    by_supplier: dict[int, list[SKU]] = defaultdict(list)
    for sku in quantities:
        by_supplier[sku.supplier_id].append(sku)
    today = timezone.localdate(timezone=ZoneInfo(warehouse.timezone))
    orders = []
    for supplier_id, skus in sorted(by_supplier.items()):
        order = PurchaseOrder.objects.create(
            number=f"PO-{today:%Y%m%d}-{uuid.uuid4().hex[:6].upper()}",
            supplier_id=supplier_id,
            warehouse=warehouse,
            created_by=user,
        )
        PurchaseOrderLine.objects.bulk_create(
            [
                PurchaseOrderLine(
                    purchase_order=order,
                    sku=sku,
                    quantity=quantities[sku],
                    unit_cost=sku.unit_cost,
                    expected_date=today + timedelta(days=_lead_time_days(sku)),
                )
                for sku in sorted(skus, key=lambda s: s.seller_sku)
            ]
        )
        orders.append(order)
    return orders


def _lead_time_days(sku: SKU) -> int:
    supplier = sku.supplier
    lead = sku.lead_time_days if sku.lead_time_days is not None else supplier.lead_time_days
    logistics = sku.logistics_days if sku.logistics_days is not None else supplier.logistics_days
    return lead + logistics
