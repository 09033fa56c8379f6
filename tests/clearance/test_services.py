"""Clearance workflow: proposals, decisions, disposals and progress."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from clearance import selectors, services
from clearance.models import (
    BatchOrigin,
    BatchStatus,
    ClearanceBatch,
    ClearanceLine,
    LineDecision,
    Strategy,
)
from clearance.services import LineEdit
from clearance.tasks import propose_clearance_batches_task
from config.celery_app import app
from inventory.facts import recompute
from inventory.models import MovementKind, StockMovement
from inventory.selectors import on_hand
from tests.clearance.conftest import post
from tests.factories import SKUFactory, WarehouseFactory

pytestmark = pytest.mark.django_db
K = MovementKind


def edit(line, **changes):
    values = {
        "decision": line.decision,
        "strategy": line.strategy,
        "quantity": line.quantity,
        "discount": line.discount,
        **changes,
    }
    return LineEdit(line_id=line.pk, **values)


@pytest.fixture
def proposed(warehouse, make_slow, run_recompute, manager):
    """A batch with two slow movers: 10 x 4.00 received 60 days ago, 5 x 6.00 200 days ago."""
    make_slow(warehouse, age=60, qty=10, seller_sku="OLD-A")
    make_slow(warehouse, age=200, qty=5, cost="6.00", price="10.00", seller_sku="OLD-B")
    run_recompute()
    return services.batch_propose(warehouse=warehouse, user=manager)


def lines_by_sku(batch):
    return {line.sku.seller_sku: line for line in batch.lines.select_related("sku")}


# --- proposals ------------------------------------------------------------------------------


def test_proposal_lists_each_slow_mover_with_units_capital_age_and_a_suggestion(proposed):
    lines = lines_by_sku(proposed)
    assert set(lines) == {"OLD-A", "OLD-B"}
    a = lines["OLD-A"]
    assert (a.units, a.age_days, a.capital, a.recent_sales) == (10, 60, Decimal("40.00"), 0)
    # 60 days old -> 20 % wanted, 59 % would still recover the 4.00 cost.
    assert (a.suggested_strategy, a.suggested_discount) == (Strategy.PROMOTION, Decimal(20))
    assert a.reason == "A 20% discount on 9.90 still recovers the unit cost 4.00."
    b = lines["OLD-B"]
    assert (b.capital, b.age_days) == (Decimal("30.00"), 200)
    # 200 days wants 50 %, only 40 % recovers 6.00 of 10.00, no best seller in the category.
    assert (b.suggested_strategy, b.suggested_discount) == (Strategy.PROMOTION, Decimal(40))
    # The manager's editable fields start from the suggestion.
    assert (b.strategy, b.quantity, b.discount, b.decision) == (
        Strategy.PROMOTION,
        5,
        Decimal(40),
        LineDecision.PENDING,
    )
    assert (proposed.status, proposed.origin) == (BatchStatus.PROPOSED, BatchOrigin.MANUAL)


def test_proposal_pairs_an_unprofitable_slow_mover_with_the_category_best_seller(
    warehouse, make_slow, run_recompute, category
):
    slow = make_slow(warehouse, age=200, qty=5, cost="6.00", price="10.00")
    steady, star = SKUFactory(category=category), SKUFactory(category=category)
    for sku, sold in ((steady, 3), (star, 8)):
        post(warehouse, sku, K.RECEIPT, 50, days_ago=20)
        post(warehouse, sku, K.SALE, -sold, days_ago=2)
    run_recompute()
    batch = services.batch_propose(warehouse=warehouse)
    (line,) = batch.lines.all()
    assert line.sku == slow
    assert (line.suggested_strategy, line.bundle_with) == (Strategy.BUNDLE, star)
    assert star.seller_sku in line.reason


def test_proposal_skips_skus_already_in_an_open_batch(
    proposed, warehouse, make_slow, run_recompute
):
    newcomer = make_slow(warehouse, age=45, qty=3)
    run_recompute()
    second = services.batch_propose(warehouse=warehouse)
    assert [line.sku for line in second.lines.all()] == [newcomer]
    # Nothing new: no empty batch.
    assert services.batch_propose(warehouse=warehouse) is None
    assert ClearanceBatch.objects.count() == 2


def test_a_rejected_or_closed_batch_frees_its_skus_for_the_next_proposal(
    proposed, warehouse, manager
):
    services.batch_reject(batch=proposed, user=manager, comment="not now")
    again = services.batch_propose(warehouse=warehouse)
    assert set(lines_by_sku(again)) == {"OLD-A", "OLD-B"}


def test_a_batch_takes_the_slow_movers_with_most_capital_first_up_to_the_limit(
    warehouse, make_slow, run_recompute, settings
):
    settings.STOCKWISE = {**settings.STOCKWISE, "CLEARANCE_MAX_LINES": 2}
    make_slow(warehouse, qty=10, cost="1.00", seller_sku="CHEAP")  # 10.00
    make_slow(warehouse, qty=10, cost="5.00", price="20.00", seller_sku="DEAR")  # 50.00
    make_slow(warehouse, qty=3, cost="4.00", seller_sku="MIDDLE")  # 12.00
    run_recompute()
    first = services.batch_propose(warehouse=warehouse)
    assert set(lines_by_sku(first)) == {"DEAR", "MIDDLE"}
    second = services.batch_propose(warehouse=warehouse)
    assert set(lines_by_sku(second)) == {"CHEAP"}


def test_proposal_is_per_warehouse(warehouse, other_warehouse, make_slow, run_recompute):
    make_slow(warehouse, seller_sku="IN-A")
    make_slow(other_warehouse, seller_sku="IN-B")
    run_recompute()
    batch = services.batch_propose(warehouse=other_warehouse)
    assert (batch.warehouse, list(lines_by_sku(batch))) == (other_warehouse, ["IN-B"])


def test_managers_of_the_warehouse_get_an_email_with_the_batch_link(
    warehouse, other_warehouse, make_slow, run_recompute, make_user, settings,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    settings.SITE_URL = "https://stock.example.com"
    manager = make_user("manager", warehouse)
    make_user("staff", warehouse)
    make_user("manager", other_warehouse)
    make_slow(warehouse)
    run_recompute()
    with django_capture_on_commit_callbacks(execute=True):
        batch = services.batch_propose(warehouse=warehouse)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [manager.email]
    assert f"https://stock.example.com/clearance/batches/{batch.pk}/" in message.body
    assert f"#{batch.pk}" in message.subject


def test_scheduled_proposal_runs_in_the_nightly_recompute_once_a_week(
    warehouse, make_slow, settings
):
    make_slow(warehouse, seller_sku="WEEK-1")
    today = timezone.localdate()
    recompute(today)
    (batch,) = ClearanceBatch.objects.all()
    assert batch.origin == BatchOrigin.SCHEDULED
    make_slow(warehouse, seller_sku="WEEK-2")
    recompute(today + timedelta(days=1))  # not due: the last batch is a day old
    assert ClearanceBatch.objects.count() == 1
    assert [b.pk for b in services.batches_propose_due(today + timedelta(days=7))] != []
    assert set(ClearanceLine.objects.values_list("sku__seller_sku", flat=True)) == {
        "WEEK-1",
        "WEEK-2",
    }


# --- decisions ------------------------------------------------------------------------------


def test_manager_edits_strategy_quantity_discount_and_decision_with_who_and_when(proposed, manager):
    lines = lines_by_sku(proposed)
    services.lines_update(
        batch=proposed,
        user=manager,
        edits=[
            edit(lines["OLD-A"], strategy=Strategy.WRITE_OFF, quantity=4, decision="approved"),
            edit(lines["OLD-B"], discount=Decimal("35"), decision="rejected"),
        ],
    )
    a, b = (ClearanceLine.objects.get(pk=lines[s].pk) for s in ("OLD-A", "OLD-B"))
    assert (a.strategy, a.quantity, a.discount, a.decision, a.decided_by) == (
        Strategy.WRITE_OFF,
        4,
        None,  # a disposal has no discount
        LineDecision.APPROVED,
        manager,
    )
    assert a.decided_at is not None
    assert (b.discount, b.decision) == (Decimal("35"), LineDecision.REJECTED)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"quantity": 11}, "OLD-A: The quantity must be a whole number from 1 to 10."),
        ({"quantity": 0}, "OLD-A: The quantity must be a whole number from 1 to 10."),
        ({"discount": Decimal("96")}, "OLD-A: The discount must be between 0 and 95 %."),
        ({"discount": None}, "OLD-A: A clearance promotion needs a discount."),
        ({"strategy": "GIVEAWAY"}, "OLD-A: Unknown strategy GIVEAWAY."),
    ],
)
def test_bad_line_edits_are_refused_and_nothing_is_written(proposed, manager, changes, message):
    lines = lines_by_sku(proposed)
    good = edit(lines["OLD-B"], decision="approved")
    with pytest.raises(ValidationError) as err:
        services.lines_update(
            batch=proposed, user=manager, edits=[good, edit(lines["OLD-A"], **changes)]
        )
    assert err.value.messages == [message]
    assert ClearanceLine.objects.get(pk=lines["OLD-B"].pk).decision == LineDecision.PENDING


def test_approving_the_batch_approves_pending_lines_and_records_who_when_and_comment(
    proposed, manager
):
    lines = lines_by_sku(proposed)
    services.lines_update(
        batch=proposed, user=manager, edits=[edit(lines["OLD-B"], decision="rejected")]
    )
    services.batch_approve(batch=proposed, user=manager, comment=" clear before Q4 ")
    proposed.refresh_from_db()
    assert (proposed.status, proposed.decided_by, proposed.decision_comment) == (
        BatchStatus.APPROVED,
        manager,
        "clear before Q4",
    )
    assert proposed.decided_at is not None
    decisions = {s: ClearanceLine.objects.get(pk=line.pk).decision for s, line in lines.items()}
    assert decisions == {"OLD-A": LineDecision.APPROVED, "OLD-B": LineDecision.REJECTED}
    # A decided batch is not edited any more.
    with pytest.raises(ValidationError, match="Only a proposed batch can be changed."):
        services.lines_update(batch=proposed, user=manager, edits=[edit(lines["OLD-A"])])
    with pytest.raises(ValidationError, match="Only a proposed batch can be rejected."):
        services.batch_reject(batch=proposed, user=manager)


def test_a_batch_whose_lines_are_all_rejected_cannot_be_approved(proposed, manager):
    services.lines_update(
        batch=proposed,
        user=manager,
        edits=[edit(line, decision="rejected") for line in proposed.lines.all()],
    )
    with pytest.raises(ValidationError, match="Every line is rejected: reject the batch instead."):
        services.batch_approve(batch=proposed, user=manager)


# --- disposals ------------------------------------------------------------------------------


def approve_as(batch, manager, **per_sku):
    lines = lines_by_sku(batch)
    services.lines_update(
        batch=batch,
        user=manager,
        edits=[edit(lines[s], **changes) for s, changes in per_sku.items()],
    )
    services.batch_approve(batch=batch, user=manager)
    return lines_by_sku(batch)


def test_write_off_posts_one_movement_however_often_it_is_marked_done(proposed, manager, warehouse):
    lines = approve_as(
        proposed, manager, **{"OLD-A": {"strategy": Strategy.WRITE_OFF, "quantity": 7}}
    )
    line = lines["OLD-A"]
    services.line_mark_done(line=line, user=manager)
    services.line_mark_done(line=line, user=manager)
    movement = StockMovement.objects.get(kind=K.WRITE_OFF)
    assert (movement.quantity, movement.source, movement.external_ref, movement.user) == (
        -7,
        "clearance",
        f"clearance:{proposed.pk}:{line.pk}",
        manager,
    )
    assert on_hand(warehouse=warehouse, sku=line.sku) == 3
    line.refresh_from_db()
    assert (line.done, line.done_by, line.movement) == (True, manager, movement)


def test_channel_transfer_posts_clearance_out(proposed, manager, warehouse):
    lines = approve_as(proposed, manager, **{"OLD-B": {"strategy": Strategy.CHANNEL_TRANSFER}})
    services.line_mark_done(line=lines["OLD-B"], user=manager)
    movement = StockMovement.objects.get(kind=K.CLEARANCE_OUT)
    assert movement.quantity == -5
    assert on_hand(warehouse=warehouse, sku=lines["OLD-B"].sku) == 0


def test_disposal_of_more_than_on_hand_is_refused_even_where_negative_stock_is_allowed(
    make_slow, run_recompute, make_user
):
    loose = WarehouseFactory(code="LOOSE", allow_negative_stock=True)
    boss = make_user("manager", loose)
    sku = make_slow(loose, qty=10, seller_sku="LOOSE-1")
    run_recompute()
    batch = services.batch_propose(warehouse=loose)
    lines = approve_as(batch, boss, **{"LOOSE-1": {"strategy": Strategy.WRITE_OFF}})
    post(loose, sku, K.SALE, -4)  # sold meanwhile: 6 left, the line still says 10
    with pytest.raises(ValidationError) as err:
        services.line_mark_done(line=lines["LOOSE-1"], user=boss)
    assert err.value.messages == [
        "Cannot take 10 units of LOOSE-1 out of LOOSE: only 6 on hand. "
        "Lower the quantity or count the stock."
    ]
    assert not StockMovement.objects.filter(kind=K.WRITE_OFF).exists()
    assert ClearanceLine.objects.get(pk=lines["LOOSE-1"].pk).done is False


def test_only_approved_lines_of_an_approved_batch_can_be_done(proposed, manager):
    lines = lines_by_sku(proposed)
    with pytest.raises(ValidationError, match="only in an approved batch"):
        services.line_mark_done(line=lines["OLD-A"], user=manager)
    lines = approve_as(proposed, manager, **{"OLD-B": {"decision": "rejected"}})
    with pytest.raises(ValidationError, match="Only an approved line can be done."):
        services.line_mark_done(line=lines["OLD-B"], user=manager)


def test_batch_closes_by_itself_when_its_last_approved_line_is_done(proposed, manager):
    lines = approve_as(proposed, manager, **{"OLD-B": {"decision": "rejected"}})
    services.line_mark_done(line=lines["OLD-A"], user=manager)  # a promotion: no movement
    proposed.refresh_from_db()
    assert (proposed.status, proposed.closed_by) == (BatchStatus.CLOSED, manager)
    assert not StockMovement.objects.filter(source="clearance").exists()


def test_manager_closes_a_batch_by_hand_with_a_comment(proposed, manager):
    approve_as(proposed, manager)
    services.batch_close(batch=proposed, user=manager, comment="season over")
    proposed.refresh_from_db()
    assert (proposed.status, proposed.close_comment) == (BatchStatus.CLOSED, "season over")
    with pytest.raises(ValidationError, match="Only an approved batch can be closed."):
        services.batch_close(batch=proposed, user=manager)


# --- progress -------------------------------------------------------------------------------


def test_progress_counts_sales_and_disposals_since_approval_capped_at_the_line(
    proposed, manager, warehouse
):
    lines = approve_as(
        proposed,
        manager,
        **{"OLD-A": {"quantity": 6}, "OLD-B": {"strategy": Strategy.WRITE_OFF, "quantity": 2}},
    )
    a, b = lines["OLD-A"], lines["OLD-B"]
    post(warehouse, a.sku, K.SALE, -1, days_ago=1)  # before approval: not counted
    post(warehouse, a.sku, K.SALE, -3)
    post(warehouse, a.sku, K.RETURN, 1)  # returns do not undo clearance progress
    post(warehouse, b.sku, K.SALE, -1)
    services.line_mark_done(line=b, user=manager)  # writes off 2
    progress = {line.sku.seller_sku: line.progress for line in selectors.batch_lines(proposed)}
    # OLD-A: 3 sold of 6 -> 3 cleared, 3 x 4.00 recovered.
    assert (progress["OLD-A"].units_cleared, progress["OLD-A"].capital_recovered) == (
        3,
        Decimal("12.00"),
    )
    # OLD-B: 1 sold + 2 written off, capped at 2; only the sale brought money: 1 x 6.00.
    assert (progress["OLD-B"].units_cleared, progress["OLD-B"].capital_recovered) == (
        2,
        Decimal("6.00"),
    )
    # More sales of A beyond its quantity are capped.
    post(warehouse, a.sku, K.SALE, -5)
    batch_total = selectors.batches_progress([proposed.pk])[proposed.pk]
    assert (batch_total.quantity, batch_total.units_cleared, batch_total.percent) == (8, 8, 100)
    assert batch_total.capital_recovered == Decimal("30.00")  # 6 x 4.00 + 1 x 6.00


def test_progress_stops_when_the_batch_closes_and_is_zero_before_approval(
    proposed, manager, warehouse
):
    lines = lines_by_sku(proposed)
    post(warehouse, lines["OLD-A"].sku, K.SALE, -2)
    assert selectors.batches_progress([proposed.pk])[proposed.pk].units_cleared == 0
    approve_as(proposed, manager)
    post(warehouse, lines["OLD-A"].sku, K.SALE, -1)
    services.batch_close(batch=proposed, user=manager)
    closed_at = ClearanceBatch.objects.get(pk=proposed.pk).closed_at
    post(warehouse, lines["OLD-A"].sku, K.SALE, -1)  # after closing
    assert timezone.now() > closed_at
    assert selectors.batches_progress([proposed.pk])[proposed.pk].units_cleared == 1


def test_progress_of_many_batches_is_one_query(
    warehouse, make_slow, run_recompute, manager, django_assert_num_queries
):
    ids = []
    for _n in range(3):
        for _m in range(3):
            make_slow(warehouse)
        run_recompute()
        batch = services.batch_propose(warehouse=warehouse)
        services.batch_approve(batch=batch, user=manager)
        ids.append(batch.pk)
    with django_assert_num_queries(1):
        totals = selectors.batches_progress(ids)
    assert [totals[pk].quantity for pk in ids] == [30, 30, 30]


def test_weekly_beat_task_proposes_for_warehouses_that_are_due(warehouse, make_slow, run_recompute):
    entry = app.conf.beat_schedule["propose-clearance-weekly"]
    assert entry["task"] == propose_clearance_batches_task.name
    make_slow(warehouse)
    run_recompute()
    (batch_id,) = propose_clearance_batches_task()
    assert ClearanceBatch.objects.get(pk=batch_id).origin == BatchOrigin.SCHEDULED
    assert propose_clearance_batches_task() == []  # run again: not due for a week
