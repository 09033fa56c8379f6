"""Planning figures: the nightly SQL against alerts/formulas.py, L and sigma_L resolution,
idempotence, and the Celery task giving what the command gives."""

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from alerts import formulas
from alerts.models import Alert, OutboxEmail, PlanningFigures
from alerts.planning import planning_recompute
from inventory.models import (
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    SkuFacts,
    StockBalance,
)
from inventory.tasks import nightly_recompute_task
from tests.alerts.conftest import plan, receive, sell, set_demand
from tests.factories import SKUFactory, SupplierFactory, WarehouseFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def _po(warehouse, sku, qty, received=0, status=PurchaseOrderStatus.SENT, lead=None):
    po = PurchaseOrder.objects.create(
        number=f"T-{PurchaseOrder.objects.count() + 1}",
        supplier=sku.supplier,
        warehouse=warehouse,
        status=status,
    )
    return PurchaseOrderLine.objects.create(
        purchase_order=po,
        sku=sku,
        quantity=qty,
        received_quantity=received,
        actual_lead_time_days=lead,
    )


def test_textbook_case_through_the_nightly_sql(warehouse):
    """d 50, sigma_d 5, L 6 (4 + 2 logistics), sigma_L 2, 90 % -> SS 129.1, ROP 429.1."""
    sku = SKUFactory(
        lead_time_days=4,
        logistics_days=2,
        lead_time_std_days=Decimal("2"),
        service_level=Decimal("0.90"),
    )
    receive(warehouse, sku, 1000)
    plan(warehouse, sku, 50, 5)
    row = PlanningFigures.objects.get(warehouse=warehouse, sku=sku)
    assert row.lead_time_days == 6
    assert row.z == pytest.approx(1.2816, abs=1e-4)
    assert row.safety_stock == pytest.approx(129.1, abs=0.05)
    assert row.reorder_point == pytest.approx(429.1, abs=0.05)
    assert (row.safety_stock_units, row.reorder_point_units) == (130, 430)
    # S = 50 * (6 + 7) + 129.11 = 779.11; IP 1000: nothing to order; 20 days of cover: OK
    assert row.order_up_to == pytest.approx(779.11, abs=0.01)
    assert (row.suggested_order_qty, row.days_of_cover, row.status) == (0, 20, "OK")
    assert row.ad_advice == "KEEP"


def test_lead_time_comes_from_the_sku_else_its_supplier(warehouse):
    supplier = SupplierFactory(lead_time_days=20, logistics_days=10)
    own = SKUFactory(supplier=supplier, lead_time_days=5)  # logistics still the supplier's
    inherited = SKUFactory(supplier=supplier)
    for sku in (own, inherited):
        receive(warehouse, sku, 10)
        set_demand(warehouse, sku, 1)
    planning_recompute(TODAY())
    rows = {r.sku_id: r for r in PlanningFigures.objects.all()}
    assert rows[own.pk].lead_time_days == 15
    assert rows[inherited.pk].lead_time_days == 30


def test_sigma_l_from_sku_else_supplier_else_learned_from_three_receipts(warehouse):
    reliable = SupplierFactory(lead_time_std_days=Decimal("0"))
    shaky = SupplierFactory(lead_time_std_days=Decimal("3.5"))
    sku_own = SKUFactory(supplier=reliable, lead_time_std_days=Decimal("1.5"))
    sku_supplier = SKUFactory(supplier=shaky)
    sku_learned = SKUFactory(supplier=reliable)
    sku_two = SKUFactory(supplier=reliable)
    for lead in (10, 12, 14):
        _po(warehouse, sku_learned, 5, 5, PurchaseOrderStatus.RECEIVED, lead=lead)
    for lead in (10, 30):
        _po(warehouse, sku_two, 5, 5, PurchaseOrderStatus.RECEIVED, lead=lead)
    for sku in (sku_own, sku_supplier, sku_learned, sku_two):
        receive(warehouse, sku, 10)
        set_demand(warehouse, sku, 2, 1)
    planning_recompute(TODAY())
    got = {
        r.sku_id: (r.lead_time_std_days, r.lead_time_std_source)
        for r in PlanningFigures.objects.all()
    }
    assert got[sku_own.pk] == (1.5, "sku")
    assert got[sku_supplier.pk] == (3.5, "supplier")
    assert got[sku_learned.pk][1] == "learned"
    assert got[sku_learned.pk][0] == pytest.approx(2.0)  # sample std of 10, 12, 14
    assert got[sku_two.pk] == (0, "default")  # two receipts are not enough


def test_on_order_counts_open_purchase_orders_only(warehouse, other_warehouse):
    sku = SKUFactory()
    receive(warehouse, sku, 10)
    set_demand(warehouse, sku, 1)
    _po(warehouse, sku, 40, 15, PurchaseOrderStatus.PARTLY_RECEIVED)  # 25 open
    _po(warehouse, sku, 10, 0, PurchaseOrderStatus.SENT)
    _po(warehouse, sku, 99, 0, PurchaseOrderStatus.DRAFT)  # not ordered yet
    _po(warehouse, sku, 99, 0, PurchaseOrderStatus.CANCELLED)
    _po(other_warehouse, sku, 7, 0, PurchaseOrderStatus.SENT)  # another warehouse
    planning_recompute(TODAY())
    assert PlanningFigures.objects.get(warehouse=warehouse, sku=sku).on_order == 35


def test_inactive_skus_leave_the_planning(warehouse):
    sku = SKUFactory()
    receive(warehouse, sku, 10)
    plan(warehouse, sku, 1)
    assert PlanningFigures.objects.filter(sku=sku).exists()
    sku.active = False
    sku.save()
    planning_recompute(TODAY())
    assert not PlanningFigures.objects.filter(sku=sku).exists()


def test_nightly_sql_agrees_with_the_formulas_on_many_random_skus(settings):
    rng = random.Random(7)
    warehouses = [WarehouseFactory(code="R1"), WarehouseFactory(code="R2")]
    suppliers = [
        SupplierFactory(
            lead_time_days=rng.randint(0, 30),
            logistics_days=rng.randint(0, 20),
            lead_time_std_days=Decimal(rng.choice(["0", "0", "1.25", "4"])),
        )
        for _ in range(5)
    ]
    expected = {}
    now = timezone.now()
    for i in range(150):
        supplier = rng.choice(suppliers)
        sku = SKUFactory(
            supplier=supplier,
            lead_time_days=rng.choice([None, rng.randint(1, 40)]),
            logistics_days=rng.choice([None, rng.randint(0, 9)]),
            lead_time_std_days=rng.choice([None, None, Decimal(rng.randint(0, 80)) / 10]),
            service_level=rng.choice([None, Decimal("0.90"), Decimal("0.975"), Decimal("0.99")]),
            case_pack=rng.choice([1, 1, 6, 12, 24]),
            moq=rng.choice([0, 0, 50, 100]),
        )
        learned = [rng.randint(5, 60) for _ in range(rng.choice([0, 2, 3, 5]))]
        for lead in learned:
            _po(warehouses[0], sku, 1, 1, PurchaseOrderStatus.RECEIVED, lead=lead)
        warehouse = warehouses[i % 2]
        on_hand = rng.choice([0, -3, rng.randint(1, 50), rng.randint(50, 5000)])
        on_order = rng.choice([0, 0, rng.randint(1, 500)])
        if on_order:
            _po(warehouse, sku, on_order)
        d = rng.choice([0.0, rng.uniform(0, 1), rng.uniform(1, 200)])
        sd = rng.choice([0.0, rng.uniform(0, d + 1)])
        slow = rng.random() < 0.2
        StockBalance.objects.create(warehouse=warehouse, sku=sku, on_hand=on_hand)
        SkuFacts.objects.create(
            warehouse=warehouse,
            sku=sku,
            as_of=TODAY(),
            avg_daily_demand=d,
            demand_std=sd,
            slow_mover=slow,
            computed_at=now,
        )
        # The same figures by the pure functions.
        lead = (
            sku.lead_time_days if sku.lead_time_days is not None else supplier.lead_time_days
        ) + (sku.logistics_days if sku.logistics_days is not None else supplier.logistics_days)
        if sku.lead_time_std_days is not None:
            sl = float(sku.lead_time_std_days)
        elif supplier.lead_time_std_days > 0:
            sl = float(supplier.lead_time_std_days)
        else:
            sl = formulas.lead_time_std_learned(learned) or 0.0
        level = float(
            sku.service_level or Decimal(str(settings.STOCKWISE["DEFAULT_SERVICE_LEVEL"]))
        )
        z = formulas.z_for(level)
        ss = formulas.safety_stock(d, sd, lead, sl, z)
        s = formulas.order_up_to(d, lead, settings.STOCKWISE["REVIEW_PERIOD_DAYS"], ss)
        cover = formulas.days_of_cover(on_hand, d)
        ss_units = formulas.ceil_units(ss)
        rop_units = formulas.ceil_units(formulas.reorder_point(d, lead, ss))
        status = formulas.status(
            on_hand=on_hand,
            on_order=on_order,
            ss_units=ss_units,
            rop_units=rop_units,
            cover=cover,
            overstock_days=settings.STOCKWISE["OVERSTOCK_DAYS"],
        )
        expected[(warehouse.pk, sku.pk)] = {
            "lead_time_days": lead,
            "z": z,
            "safety_stock": ss,
            "safety_stock_units": ss_units,
            "reorder_point_units": rop_units,
            "order_up_to": s,
            "suggested_order_qty": formulas.suggested_order(
                s, on_hand + on_order, sku.case_pack, sku.moq
            ),
            "days_of_cover": cover,
            "status": status,
            "urgency": formulas.urgency(status),  # the status filter reads the urgency index
            "ad_advice": formulas.ad_advice(
                stock_status=status, cover=cover, lead_time=lead, slow_mover=slow
            ),
        }
    assert planning_recompute(TODAY()) == 150
    rows = {(r.warehouse_id, r.sku_id): r for r in PlanningFigures.objects.all()}
    assert rows.keys() == expected.keys()
    statuses = set()
    for key, want in expected.items():
        row = rows[key]
        statuses.add(row.status)
        for name, value in want.items():
            got = getattr(row, name)
            if isinstance(value, float):
                assert got == pytest.approx(value, rel=1e-9, abs=1e-9), (key, name)
            else:
                assert got == value, (key, name, got, value)
    assert statuses == set(formulas.STATUSES)  # the random set reaches every status


def _snapshot():
    planning = list(
        PlanningFigures.objects.order_by("warehouse_id", "sku_id").values(
            *[
                f.attname
                for f in PlanningFigures._meta.concrete_fields
                if f.name not in ("computed_at", "checked_at")
            ]
        )
    )
    alerts = list(Alert.objects.order_by("pk").values("pk", "status", "resolved_at", "opened_at"))
    outbox = list(OutboxEmail.objects.order_by("pk").values_list("dedup_key", flat=True))
    return planning, alerts, outbox


def _ledger(warehouse, purchaser):
    """Three SKUs: one selling out, one healthy, one with no sales."""
    start = timezone.now() - timedelta(days=40)
    skus = [SKUFactory(seller_sku=f"IDEM-{n}") for n in range(3)]
    for n, sku in enumerate(skus):
        receive(warehouse, sku, 300, occurred_at=start)
        for day in range(1, 39):
            if n < 2:
                sell(warehouse, sku, 7 if n == 0 else 2, occurred_at=start + timedelta(days=day))
    return skus


def test_running_the_nightly_job_twice_changes_nothing(warehouse, purchaser, eager):
    _ledger(warehouse, purchaser)
    call_command("recompute")
    first = _snapshot()
    assert first[1], "the selling-out SKU should have an alert"
    assert first[2], "and an opening email"
    call_command("recompute")
    assert _snapshot() == first


def test_the_celery_task_gives_what_the_command_gives(warehouse, purchaser, eager):
    _ledger(warehouse, purchaser)
    day = date.today().isoformat()
    call_command("recompute", "--date", day)
    by_command = _snapshot()
    PlanningFigures.objects.all().delete()
    Alert.objects.all().delete()
    OutboxEmail.objects.all().delete()
    nightly_recompute_task.delay(day)
    by_task = _snapshot()
    assert by_task[0] == [{**row, "id": by_task[0][n]["id"]} for n, row in enumerate(by_command[0])]
    assert [a["status"] for a in by_task[1]] == [a["status"] for a in by_command[1]]
    assert len(by_task[2]) == len(by_command[2])
