"""Tolerance by class (A 0, B 2 %, C 5 %, at least 1 unit for B and C) and the recount flow."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from counting.models import CountEntry, CountLine, EntryPhase, SessionStatus
from counting.services import count_entry_undo, session_start, session_submit
from counting.tolerance import tolerance_units, within_tolerance
from inventory.facts import facts_ensure_rows
from inventory.models import SkuFacts
from tests.counting.helpers import enter, new_session, receive
from tests.factories import SKUFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("cls", "expected", "tolerance"),
    [
        ("A", 100, Decimal("0")),
        ("A", 0, Decimal("0")),
        ("B", 100, Decimal("2")),
        ("B", 120, Decimal("2.4")),
        ("B", 30, Decimal("1")),  # 2 % of 30 = 0.6 -> at least 1 unit
        ("B", 0, Decimal("1")),
        ("C", 100, Decimal("5")),
        ("C", 10, Decimal("1")),  # 5 % of 10 = 0.5 -> 1
        ("C", 0, Decimal("1")),
        ("", 100, Decimal("5")),  # no class yet counts as C
        (None, 0, Decimal("1")),
        ("C", -40, Decimal("2")),  # a negative book: 5 % of 40
    ],
)
def test_tolerance_units_by_class(cls, expected, tolerance):
    assert tolerance_units(cls, expected) == tolerance


@pytest.mark.parametrize(
    ("cls", "expected", "counted", "ok"),
    [
        ("A", 50, 50, True),
        ("A", 50, 49, False),
        ("A", 0, 1, False),
        ("B", 120, 122, True),
        ("B", 120, 117, False),  # 3 > 2.4
        ("B", 0, 1, True),
        ("B", 0, 2, False),
        ("C", 100, 95, True),
        ("C", 100, 106, False),
        ("C", 0, 1, True),
        ("C", 10, 9, True),
        ("C", 10, 12, False),
    ],
)
def test_within_tolerance(cls, expected, counted, ok):
    assert within_tolerance(cls, expected=expected, counted=counted) is ok


def _set_class(warehouse, sku, cls):
    facts_ensure_rows(timezone.localdate())
    SkuFacts.objects.filter(warehouse=warehouse, sku=sku).update(abc_class=cls)


def test_class_captured_on_the_line_drives_the_judgement(warehouse, sku, staff):
    receive(warehouse, sku, 100)
    _set_class(warehouse, sku, "A")
    session = new_session(warehouse, [sku])
    assert CountLine.objects.get().abc_class == "A"
    enter(session, sku, 99, staff)  # 1 unit off: fine for C, not for A
    result = session_submit(session=session, user=staff)
    assert not result.submitted and result.recount_skus == [sku.seller_sku]
    line = CountLine.objects.get()
    assert line.first_within_tolerance is False and line.recount_required


def test_expected_zero_and_one_found_is_within_tolerance_for_unclassified(warehouse, sku, staff):
    session = new_session(warehouse, [sku])  # no facts: counts as C
    enter(session, sku, 1, staff)
    assert session_submit(session=session, user=staff).submitted
    line = CountLine.objects.get()
    assert (line.abc_class, line.expected_qty, line.variance) == ("C", 0, 1)
    assert line.first_within_tolerance is True


def test_recount_flow_by_another_counter(warehouse, sku, manager):
    alice = UserFactory(username="alice", role="staff", warehouses=[warehouse])
    bob = UserFactory(username="bob", role="staff", warehouses=[warehouse])
    receive(warehouse, sku, 40)
    session = new_session(warehouse, [sku], counters=[alice, bob])
    enter(session, sku, 30, alice)  # 10 short: out of tolerance for C (2 units)
    first = session_submit(session=session, user=alice)
    assert first.recount_skus == [sku.seller_sku]
    session.refresh_from_db()
    assert session.status == SessionStatus.COUNTING
    # The first counter may not recount when another counter is assigned.
    with pytest.raises(ValidationError, match="must be recounted by another counter"):
        enter(session, sku, 38, alice)
    # Submitting again before the recount is refused and names the line.
    with pytest.raises(ValidationError, match="1 line waits for a recount: TEE-RED-M"):
        session_submit(session=session, user=alice)
    enter(session, sku, 20, bob)
    enter(session, sku, 19, bob)  # recount scans add up too
    result = session_submit(session=session, user=bob)
    assert result.submitted
    line = CountLine.objects.get()
    assert (line.counted_qty, line.expected_qty, line.first_within_tolerance) == (30, 40, False)
    assert (line.recount_qty, line.recount_expected_qty, line.variance) == (39, 40, -1)
    assert (line.counted_by, line.recount_by) == (alice, bob)
    assert CountEntry.objects.filter(phase=EntryPhase.RECOUNT).count() == 2


def test_single_counter_may_recount_their_own_line(warehouse, sku, staff):
    receive(warehouse, sku, 40)
    session = new_session(warehouse, [sku])
    enter(session, sku, 30, staff)
    session_submit(session=session, user=staff)
    enter(session, sku, 40, staff)
    assert session_submit(session=session, user=staff).submitted
    assert CountLine.objects.get().variance == 0


def test_lines_within_tolerance_are_closed_after_judgement(warehouse, sku, staff):
    other = SKUFactory(seller_sku="OFF")
    receive(warehouse, sku, 10)
    receive(warehouse, other, 10)
    session = new_session(warehouse, [sku, other])
    ok_entry = enter(session, sku, 10, staff).entry
    enter(session, other, 1, staff)
    session_submit(session=session, user=staff)  # OFF goes to recount, TEE-RED-M is closed
    with pytest.raises(ValidationError, match="already counted"):
        enter(session, sku, 1, staff)
    with pytest.raises(ValidationError, match="can no longer be undone"):
        count_entry_undo(session=session, entry_id=ok_entry.pk, user=staff)


def test_submit_refuses_uncounted_lines_unless_recorded_as_zero(warehouse, sku, staff):
    receive(warehouse, sku, 3)
    session = new_session(warehouse, [sku])
    session_start(session=session, user=staff)
    with pytest.raises(ValidationError, match="1 line is not counted yet \\(TEE-RED-M\\)"):
        session_submit(session=session, user=staff)
    result = session_submit(session=session, user=staff, uncounted_as_zero=True)
    # 0 found against 3 expected is out of tolerance (C: 1 unit): a recount is asked.
    assert result.recount_skus == ["TEE-RED-M"]
    line = CountLine.objects.get()
    assert (line.counted_qty, line.expected_qty) == (0, 3)
