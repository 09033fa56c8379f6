"""Two warehouses full of objects (a ledger row, an import, a purchase order, a count, an alert, a
clearance batch) for the scoping and CSRF tests: a user of one must not reach the other's."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from alerts.models import Alert
from clearance.models import BatchStatus, ClearanceBatch, ClearanceLine, LineDecision, Strategy
from counting.models import CountKind
from counting.services import session_create
from inventory.models import SKU, ImportJob, ImportKind, MovementKind, StockMovement, Warehouse
from inventory.purchasing.services import OrderLine, purchase_order_create
from inventory.services import movement_post
from tests.factories import SKUFactory, SupplierFactory, WarehouseFactory


@dataclass
class Side:
    """Everything that belongs to one warehouse."""

    warehouse: Warehouse
    sku: SKU  # stocked only here
    movement: StockMovement
    import_job: ImportJob
    po_number: str
    count_pk: int
    alert_pk: int
    batch_pk: int
    line_pk: int
    secret: str  # a note only this warehouse's pages may show


def build_side(code: str) -> Side:
    warehouse = WarehouseFactory(code=code, name=f"Warehouse {code}")
    # Catalog objects (SKU, supplier) are shared: their names must not give the warehouse away.
    supplier = SupplierFactory()
    sku = SKUFactory(supplier=supplier)
    secret = f"secret-note-of-{code}"
    movement = movement_post(
        warehouse=warehouse, sku=sku, kind=MovementKind.RECEIPT, quantity=40, note=secret
    ).movement
    job = ImportJob.objects.create(
        kind=ImportKind.RECEIPTS,
        warehouse=warehouse,
        file=SimpleUploadedFile(f"{code}.csv", b"seller_sku,quantity,unit_cost,received_at\n"),
        original_name=f"{secret}.csv",
    )
    order = purchase_order_create(
        supplier=supplier, warehouse=warehouse, lines=[OrderLine(sku=sku, quantity=12)]
    )
    session = session_create(warehouse=warehouse, kind=CountKind.CYCLE, skus=[sku.seller_sku])
    alert = Alert.objects.create(
        warehouse=warehouse,
        sku=sku,
        status="REORDER",
        opened_status="REORDER",
        severity="medium",
        urgency=2,
        on_hand_at_open=40,
        on_order_at_open=0,
        safety_stock_units=10,
        reorder_point_units=50,
        trigger="nightly",
        opened_at=timezone.now(),
    )
    batch = ClearanceBatch.objects.create(
        warehouse=warehouse, status=BatchStatus.APPROVED, facts_as_of=date(2026, 1, 1)
    )
    line = ClearanceLine.objects.create(
        batch=batch,
        sku=sku,
        units=40,
        age_days=90,
        unit_cost=sku.unit_cost,
        unit_price=sku.unit_price,
        capital=Decimal("160"),
        suggested_strategy=Strategy.WRITE_OFF,
        reason_code="too_old",
        decision=LineDecision.APPROVED,
        strategy=Strategy.WRITE_OFF,
        quantity=5,
    )
    return Side(
        warehouse=warehouse,
        sku=sku,
        movement=movement,
        import_job=job,
        po_number=order.number,
        count_pk=session.pk,
        alert_pk=alert.pk,
        batch_pk=batch.pk,
        line_pk=line.pk,
        secret=secret,
    )
