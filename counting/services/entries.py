"""Entering counts: resolve a scanned code, add an entry, undo one.

Every write locks the session row first. A scan (`count_entry_add`) takes it shared on
PostgreSQL and then locks its line: scans of different lines run side by side, scans of one
line are serialised, and a submit or an approval (which take the session row exclusively) waits
for the scans in flight. The idempotency key is unique in the database, so a double submit that
races is caught by the insert and answered with the first entry. Undo, sheets and the first
entry of a draft session (which changes the session's status) lock the session exclusively.
Each entry records the ledger on-hand at that moment; the line keeps the one of its latest
entry as the expected quantity.
"""

import uuid
from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Max, Min, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from counting.models import (
    CountEntry,
    CountKind,
    CountLine,
    CountSession,
    EntryPhase,
    LineReason,
    SessionStatus,
)
from counting.selectors import may_enter_counts
from counting.tolerance import effective_class
from inventory.models import SKU, SkuFacts, StockBalance

MAX_ENTRY_QUANTITY = 1_000_000
# Ids per IN (...) list: SQLite allows 32,766 parameters per statement.
CHUNK = 5000


def chunks(items, size: int = CHUNK):
    """Split a collection into lists of at most `size` (for IN lists of full counts)."""
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass(frozen=True)
class EntryResult:
    entry: CountEntry
    line: CountLine
    created: bool
    # The session's status after the entry (the first entry of a draft starts the count).
    session_status: str


@dataclass(frozen=True)
class EntryItem:
    """One quantity to record on a line (a scan, an API post, a sheet row)."""

    line: CountLine
    quantity: int
    key: uuid.UUID


def sku_resolve(code: str) -> SKU:
    """The SKU a scanned or typed code names: Seller SKU, else TikTok SKU ID, else barcode.

    Raises ValidationError with a message for the counter when the code is unknown or ambiguous.
    """
    code = (code or "").strip()
    if not code:
        raise ValidationError(_("Scan or type a Seller SKU, TikTok SKU ID or barcode."))
    exact = SKU.objects.filter(seller_sku=code).first()
    if exact:
        return exact
    for lookup in ("seller_sku__iexact", "tiktok_sku_id", "barcode"):
        found = list(SKU.objects.filter(**{lookup: code})[:2])
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise ValidationError(
                _("The code “%(code)s” belongs to several SKUs: scan or type the Seller SKU.")
                % {"code": code}
            )
    raise ValidationError(
        _(
            "Unknown code “%(code)s”: no SKU has this Seller SKU, TikTok SKU ID or barcode. "
            "Nothing was recorded."
        )
        % {"code": code}
    )


def clean_quantity(value) -> int:
    """A counted quantity: a whole number from 0 to 1,000,000 (ValidationError otherwise)."""
    if isinstance(value, bool):
        value = None
    try:
        number = int(str(value).strip()) if not isinstance(value, int) else value
    except (TypeError, ValueError):
        number = None
    if number is None or number < 0 or number > MAX_ENTRY_QUANTITY:
        raise ValidationError(
            _("The quantity must be a whole number from 0 to %(max)s.")
            % {"max": MAX_ENTRY_QUANTITY}
        )
    return number


def clean_key(value) -> uuid.UUID:
    """The idempotency key of a submit (a UUID); a missing key gets a fresh one."""
    if value in (None, ""):
        return uuid.uuid4()
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError as exc:
        raise ValidationError(_("The entry key is not valid; reload the page.")) from exc


def lock_session(session: CountSession) -> CountSession:
    """Re-read the session under a row lock (the serialisation point of every count write)."""
    return CountSession.objects.select_for_update().select_related("warehouse").get(pk=session.pk)


def share_lock_session(session: CountSession, user) -> CountSession:
    """Re-read the session under a shared row lock (PostgreSQL; elsewhere the exclusive one):
    scans hold it together, a status change waits for all of them. Whether `user` is among its
    assigned counters comes with it, as `selectors.session_to_count_for_user` reads it."""
    if connection.vendor != "postgresql":
        return lock_session(session)
    through = CountSession.counters.through._meta
    counters = f'SELECT 1 FROM "{through.db_table}" c WHERE c."countsession_id" = s."id"'  # noqa: S608
    rows = CountSession.objects.raw(
        f"SELECT s.*, EXISTS ({counters}) AS has_counters, "  # noqa: S608 - model names only
        f'EXISTS ({counters} AND c."user_id" = %s) AS user_assigned '
        "FROM counting_countsession s WHERE s.id = %s FOR SHARE OF s",
        [user.pk, session.pk],
    )
    locked = list(rows)[0]
    locked.assignment_of = user.pk
    return locked


def check_takes_entries(session: CountSession) -> None:
    if not session.takes_entries:
        raise ValidationError(
            _("Count #%(id)s is %(status)s: it takes no more entries.")
            % {"id": session.pk, "status": session.get_status_display().lower()}
        )


def class_snapshot(warehouse_id: int, sku_ids) -> dict[int, str]:
    """Effective ABC class per SKU in a warehouse now (no class yet counts as C)."""
    known = {}
    for part in chunks(sku_ids):
        rows = SkuFacts.objects.filter(warehouse_id=warehouse_id, sku_id__in=part)
        known.update(rows.values_list("sku_id", "abc_class"))
    return {sku_id: effective_class(known.get(sku_id)) for sku_id in sku_ids}


def line_for_entry(session: CountSession, sku: SKU, user) -> CountLine:
    """The line a counted SKU goes to; a full count adds SKUs found that were not listed.

    Checks that the line takes entries now and the recount rule (by another counter when the
    session has one assigned).
    """
    lines = CountLine.objects.filter(session=session, sku=sku).select_for_update(of=("self",))
    line = lines.first()
    if line is None:
        if session.kind != CountKind.FULL:
            raise ValidationError(
                _("%(sku)s is not on this count's list. Nothing was recorded.")
                % {"sku": sku.seller_sku}
            )
        try:
            with transaction.atomic():
                line = CountLine.objects.create(
                    session=session,
                    sku=sku,
                    reason=LineReason.FOUND,
                    abc_class=class_snapshot(session.warehouse_id, [sku.pk])[sku.pk],
                )
        except IntegrityError:
            line = lines.get()  # another counter found it at the same moment
    line.sku = sku
    check_line_open(line, user)
    return line


def check_line_open(line: CountLine, user) -> None:
    """Refuse entries on a line whose first count is judged and needs no recount, and a recount
    by the first counter when the session has another assigned counter."""
    if line.first_within_tolerance is not None and not line.recount_required:
        raise ValidationError(
            _("%(sku)s is already counted; only lines asked for a recount take entries now.")
            % {"sku": line.sku.seller_sku}
        )
    if line.recount_required and user is not None:
        first_counters = set(
            line.entries.filter(phase=EntryPhase.COUNT, undone_at__isnull=True).values_list(
                "user_id", flat=True
            )
        )
        others = set(line.session.counters.values_list("pk", flat=True)) - first_counters
        if user.pk in first_counters and others:
            raise ValidationError(
                _("%(sku)s must be recounted by another counter.") % {"sku": line.sku.seller_sku}
            )


def entries_write(
    session: CountSession, items: list[EntryItem], *, user, source: str
) -> list[CountEntry]:
    """Record quantities on lines in their current phase with the on-hand of this moment.

    The caller holds the session lock and has checked the lines; one query reads every on-hand.
    """
    if session.status == SessionStatus.DRAFT:
        session.status = SessionStatus.COUNTING
        session.started_at = timezone.now()
        session.save(update_fields=["status", "started_at"])
    on_hand = {}
    for part in chunks({item.line.sku_id for item in items}):
        balances = StockBalance.objects.filter(warehouse_id=session.warehouse_id, sku_id__in=part)
        on_hand.update(balances.values_list("sku_id", "on_hand"))
    entries = [
        CountEntry(
            line=item.line,
            phase=item.line.current_phase,
            quantity=item.quantity,
            expected_qty=on_hand.get(item.line.sku_id, 0),
            user=user,
            source=source,
            idempotency_key=item.key,
        )
        for item in items
    ]
    CountEntry.objects.bulk_create(entries, batch_size=1000)
    if len(entries) == 1:
        _line_add_entry(entries[0])
    else:
        lines_refresh({item.line.pk for item in items})
    return entries


def _line_add_entry(entry: CountEntry) -> None:
    """The cached counts of a line after one more entry: what `lines_refresh` would compute,
    in one UPDATE. The caller holds the line's row lock, so this entry is its latest."""
    line = entry.line
    if entry.phase == EntryPhase.RECOUNT:
        line.recount_qty = (line.recount_qty or 0) + entry.quantity
        line.recount_expected_qty = entry.expected_qty
        line.recount_at = entry.created_at
        line.recount_by_id = line.recount_by_id or entry.user_id
        fields = ["recount_qty", "recount_expected_qty", "recount_at", "recount_by"]
    else:
        line.counted_qty = (line.counted_qty or 0) + entry.quantity
        line.expected_qty = entry.expected_qty
        line.counted_at = entry.created_at
        line.counted_by_id = line.counted_by_id or entry.user_id
        fields = ["counted_qty", "expected_qty", "counted_at", "counted_by"]
    line.save(update_fields=fields)


def lines_refresh(line_ids) -> None:
    """Recompute the cached counts of lines from their active entries (three queries a chunk)."""
    for part in chunks(line_ids):
        _lines_refresh(part)


def _lines_refresh(line_ids: list[int]) -> None:
    totals = (
        CountEntry.objects.filter(line_id__in=line_ids, undone_at__isnull=True)
        .values("line_id", "phase")
        .annotate(total=Sum("quantity"), first_id=Min("id"), last_id=Max("id"))
    )
    by_line: dict[int, dict[str, dict]] = defaultdict(dict)
    wanted = set()
    for row in totals:
        by_line[row["line_id"]][row["phase"]] = row
        wanted |= {row["first_id"], row["last_id"]}
    entries = {
        e.pk: e
        for e in CountEntry.objects.filter(pk__in=wanted).only(
            "id", "expected_qty", "user_id", "created_at"
        )
    }
    lines = list(CountLine.objects.filter(pk__in=line_ids))
    for line in lines:
        count = by_line[line.pk].get(EntryPhase.COUNT)
        recount = by_line[line.pk].get(EntryPhase.RECOUNT)
        line.counted_qty = count["total"] if count else None
        line.expected_qty = entries[count["last_id"]].expected_qty if count else None
        line.counted_at = entries[count["last_id"]].created_at if count else None
        line.counted_by_id = entries[count["first_id"]].user_id if count else None
        line.recount_qty = recount["total"] if recount else None
        line.recount_expected_qty = entries[recount["last_id"]].expected_qty if recount else None
        line.recount_at = entries[recount["last_id"]].created_at if recount else None
        line.recount_by_id = entries[recount["first_id"]].user_id if recount else None
    CountLine.objects.bulk_update(
        lines,
        [
            "counted_qty",
            "expected_qty",
            "counted_at",
            "counted_by",
            "recount_qty",
            "recount_expected_qty",
            "recount_at",
            "recount_by",
        ],
        batch_size=1000,
    )


def count_entry_add(
    *,
    session: CountSession,
    code: str,
    quantity,
    user,
    idempotency_key=None,
    source: str = CountEntry.Source.SCAN,
) -> EntryResult:
    """Add a counted quantity for the SKU a code names; scans of one SKU add up.

    A repeat of the same idempotency key (a double submit) returns the first entry and adds
    nothing. Unknown codes and closed lines raise ValidationError and write nothing.
    """
    quantity = clean_quantity(quantity)
    key = clean_key(idempotency_key)
    try:
        # A repeated key is rare: the first attempt lets the key's unique index find it.
        return _entry_add(session, code, quantity, user, key, source, shared=True)
    except (_NeedsExclusiveLock, IntegrityError, ValidationError):
        # The first entry starts the count (a status change); or the key was recorded before
        # (a double submit, maybe at the same moment), perhaps before the count or the line
        # closed: the exclusive attempt looks the key up first and answers with that entry,
        # or refuses as the first attempt did.
        return _entry_add(session, code, quantity, user, key, source, shared=False)


class _NeedsExclusiveLock(Exception):  # noqa: N818 - a signal, not an error
    pass


def _entry_add(session, code, quantity, user, key, source, *, shared: bool) -> EntryResult:
    """One attempt; the shared one skips the key lookup (the insert's unique index refuses a
    repeated key, and the caller retries exclusively)."""
    with transaction.atomic():
        locked = share_lock_session(session, user) if shared else lock_session(session)
        if not may_enter_counts(user, locked):
            raise PermissionDenied
        if not shared:
            existing = CountEntry.objects.filter(idempotency_key=key).select_related("line").first()
            if existing is not None:
                if existing.line.session_id != locked.pk:
                    raise ValidationError(_("This entry key was already used; reload the page."))
                line = CountLine.objects.select_related("sku").get(pk=existing.line_id)
                return EntryResult(existing, line, False, locked.status)
        check_takes_entries(locked)
        if shared and locked.status == SessionStatus.DRAFT:
            raise _NeedsExclusiveLock  # the first entry starts the count: a status change
        sku = sku_resolve(code)
        line = line_for_entry(locked, sku, user)
        entry = entries_write(locked, [EntryItem(line, quantity, key)], user=user, source=source)[0]
    return EntryResult(entry, line, True, locked.status)


def count_entry_undo(*, session: CountSession, entry_id: int, user) -> CountEntry:
    """Take back one of the user's own entries; undoing it twice changes nothing."""
    with transaction.atomic():
        locked = lock_session(session)
        entry = (
            CountEntry.objects.select_related("line__sku")
            .filter(pk=entry_id, line__session=locked, user=user)
            .first()
        )
        if entry is None:
            raise ValidationError(_("Nothing to undo."))
        if entry.undone_at is not None:
            return entry
        check_takes_entries(locked)
        line = entry.line
        if entry.phase != line.current_phase or (
            line.first_within_tolerance is not None and not line.recount_required
        ):
            raise ValidationError(
                _("The count of %(sku)s is closed; this entry can no longer be undone.")
                % {"sku": line.sku.seller_sku}
            )
        entry.undone_at = timezone.now()
        entry.save(update_fields=["undone_at"])
        lines_refresh([line.pk])
    return entry
