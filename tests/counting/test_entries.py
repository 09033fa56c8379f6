"""Entering counts: scans add up, undo, double submits, unknown codes, expected at entry time."""

import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from counting.models import CountEntry, CountKind, CountLine, LineReason, SessionStatus
from counting.services import count_entry_undo, session_submit
from tests.counting.helpers import enter, new_session, receive, sell
from tests.factories import SKUFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_repeated_scans_of_one_sku_add_up(warehouse, sku, staff):
    receive(warehouse, sku, 10)
    session = new_session(warehouse, [sku])
    enter(session, sku, 4, staff)
    result = enter(session, sku, 3, staff)
    assert result.line.counted_qty == 7
    assert CountEntry.objects.count() == 2
    session.refresh_from_db()
    assert session.status == SessionStatus.COUNTING and session.started_at


def test_code_may_be_tiktok_sku_id_or_barcode(warehouse, staff):
    sku = SKUFactory(
        seller_sku="MUG-1", tiktok_sku_id="1729382256910270999", barcode="6900000000017"
    )
    session = new_session(warehouse, [sku])
    enter(session, "1729382256910270999", 1, staff)
    enter(session, "6900000000017", 2, staff)
    enter(session, "mug-1", 3, staff)
    assert CountLine.objects.get().counted_qty == 6


def test_double_submit_with_the_same_key_counts_once(warehouse, sku, staff):
    session = new_session(warehouse, [sku])
    key = uuid.uuid4()
    first = enter(session, sku, 5, staff, key=key)
    second = enter(session, sku, 5, staff, key=key)
    assert first.created and not second.created
    assert second.entry.pk == first.entry.pk
    assert CountLine.objects.get().counted_qty == 5


def test_double_submit_after_the_count_was_submitted_still_answers_with_the_entry(
    warehouse, sku, staff
):
    """The repeat of a scan that got through just before the count closed is the same entry,
    not a refusal (the counter's screen would say the scan was lost)."""
    receive(warehouse, sku, 5)  # counted as booked: no recount, the count closes
    session = new_session(warehouse, [sku])
    key = uuid.uuid4()
    first = enter(session, sku, 5, staff, key=key)
    session_submit(session=session, user=staff)
    again = enter(session, sku, 5, staff, key=key)
    assert not again.created and again.entry.pk == first.entry.pk
    assert again.session_status == SessionStatus.SUBMITTED
    with pytest.raises(ValidationError, match="takes no more entries"):
        enter(session, sku, 5, staff)  # a new key is refused
    assert CountEntry.objects.count() == 1


def test_unknown_code_writes_nothing_and_says_so(warehouse, sku, staff):
    session = new_session(warehouse, [sku])
    with pytest.raises(ValidationError) as err:
        enter(session, "NO-SUCH-THING", 1, staff)
    assert "Unknown code “NO-SUCH-THING”" in err.value.messages[0]
    assert not CountEntry.objects.exists()


def test_sku_not_on_a_cycle_count_is_refused(warehouse, sku, staff):
    other = SKUFactory(seller_sku="NOT-LISTED")
    session = new_session(warehouse, [sku])
    with pytest.raises(ValidationError, match="NOT-LISTED is not on this count's list"):
        enter(session, other, 1, staff)
    assert CountLine.objects.count() == 1


def test_full_count_adds_a_sku_found_on_the_shelf(warehouse, sku, staff):
    receive(warehouse, sku, 2)
    session = new_session(warehouse, [], kind=CountKind.FULL)
    found = SKUFactory(seller_sku="FOUND-1")
    enter(session, found, 4, staff)
    line = CountLine.objects.get(sku=found)
    assert (line.reason, line.counted_qty, line.expected_qty) == (LineReason.FOUND, 4, 0)


def test_undo_takes_back_the_last_entry_once(warehouse, sku, staff):
    session = new_session(warehouse, [sku])
    enter(session, sku, 4, staff)
    last = enter(session, sku, 30, staff).entry  # a slip: 30 instead of 3
    count_entry_undo(session=session, entry_id=last.pk, user=staff)
    count_entry_undo(session=session, entry_id=last.pk, user=staff)  # a double click
    assert CountLine.objects.get().counted_qty == 4
    undone = CountEntry.objects.get(pk=last.pk)
    assert undone.undone_at is not None  # kept for the record


def test_undo_of_the_only_entry_makes_the_line_uncounted(warehouse, sku, staff):
    session = new_session(warehouse, [sku])
    entry = enter(session, sku, 4, staff).entry
    count_entry_undo(session=session, entry_id=entry.pk, user=staff)
    line = CountLine.objects.get()
    assert (line.counted_qty, line.expected_qty, line.counted_at) == (None, None, None)


def test_nobody_undoes_someone_elses_entry(warehouse, sku, staff):
    session = new_session(warehouse, [sku])
    entry = enter(session, sku, 4, staff).entry
    colleague = UserFactory(username="colleague", role="staff", warehouses=[warehouse])
    with pytest.raises(ValidationError, match="Nothing to undo"):
        count_entry_undo(session=session, entry_id=entry.pk, user=colleague)


def test_sale_shipping_during_the_count_gives_no_false_variance(warehouse, manager, staff):
    """Shelf and book both hold 10; 2 ship after the first SKU was counted but before the
    second: each line's expected is the on-hand at its own count, so both variances are 0."""
    early, late = SKUFactory(seller_sku="EARLY"), SKUFactory(seller_sku="LATE")
    receive(warehouse, early, 10)
    receive(warehouse, late, 10)
    session = new_session(warehouse, [early, late])
    enter(session, early, 10, staff)
    sell(warehouse, early, 2)  # ships after its count: the shelf had 10 when counted
    sell(warehouse, late, 2)  # ships before its count: the counter finds 8
    enter(session, late, 8, staff)
    result = session_submit(session=session, user=staff)
    assert result.submitted
    lines = {x.sku.seller_sku: x for x in CountLine.objects.select_related("sku")}
    assert (lines["EARLY"].expected_qty, lines["EARLY"].variance) == (10, 0)
    assert (lines["LATE"].expected_qty, lines["LATE"].variance) == (8, 0)


def test_expected_follows_the_latest_scan_of_the_line(warehouse, sku, staff):
    receive(warehouse, sku, 12)
    session = new_session(warehouse, [sku])
    enter(session, sku, 5, staff)
    sell(warehouse, sku, 1)
    enter(session, sku, 6, staff)
    line = CountLine.objects.get()
    assert (line.counted_qty, line.expected_qty) == (11, 11)


def test_entries_need_an_open_session(warehouse, sku, staff, manager):
    from counting.services import session_reject

    session = new_session(warehouse, [sku])
    session_reject(session=session, user=manager)
    with pytest.raises(ValidationError, match="takes no more entries"):
        enter(session, sku, 1, staff)


def test_assigned_counters_only_when_set(warehouse, sku):
    alice = UserFactory(username="alice", role="staff", warehouses=[warehouse])
    bob = UserFactory(username="bob", role="staff", warehouses=[warehouse])
    session = new_session(warehouse, [sku], counters=[alice])
    enter(session, sku, 1, alice)
    with pytest.raises(PermissionDenied):
        enter(session, sku, 1, bob)


@pytest.mark.parametrize("bad", [-1, "two", 1_000_001, "1.5"])
def test_bad_quantities_are_refused(warehouse, sku, staff, bad):
    session = new_session(warehouse, [sku])
    with pytest.raises(ValidationError, match="whole number"):
        enter(session, sku, bad, staff)
    assert not CountEntry.objects.exists()
