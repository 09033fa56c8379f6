"""Every stock change in the product goes through `movements_post`.

It validates, locks the balance rows in (warehouse, SKU) order so concurrent writers cannot
deadlock, refuses negative stock unless the warehouse allows it, writes the movements and the
balances in one transaction, and hands side effects to `transaction.on_commit`. Posting is
idempotent on (source, external_ref): a repeat returns the movement already in the ledger.
"""

import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models.base import ModelState
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory import bulk_sql, daily, hooks
from inventory.models import (
    INBOUND_KINDS,
    OUTBOUND_KINDS,
    SKU,
    MovementKind,
    StockBalance,
    StockMovement,
    Warehouse,
)

logger = logging.getLogger(__name__)

# PostgreSQL: serialization_failure, deadlock_detected. Retried a few times, never shown to users.
_RETRYABLE_SQLSTATES = {"40001", "40P01"}
_MAX_ATTEMPTS = 4
_KIND_VALUES = frozenset(MovementKind.values)


@dataclass(frozen=True)
class MovementLine:
    """One stock change to post; `quantity` is the signed change of on-hand (a sale of 3 is -3)."""

    warehouse: Warehouse
    sku: SKU
    kind: str
    quantity: int
    occurred_at: datetime | None = None
    unit_cost: Decimal | None = None
    external_ref: str | None = None
    note: str = ""


@dataclass
class PostedMovement:
    movement: StockMovement
    created: bool


class PostingError(ValidationError):
    """A refused posting. `line_errors` holds (line index, message) so imports can name rows."""

    def __init__(self, line_errors: list[tuple[int, str]]):
        self.line_errors = line_errors
        super().__init__([msg for _i, msg in line_errors])


@dataclass
class _Plan:
    to_create: list[tuple[int, MovementLine]] = field(default_factory=list)
    existing: dict[int, StockMovement] = field(default_factory=dict)
    # A line repeating an external_ref seen earlier in the same batch -> index of that line.
    repeats: dict[int, int] = field(default_factory=dict)


def movement_post(
    *,
    warehouse: Warehouse,
    sku: SKU,
    kind: str,
    quantity: int,
    occurred_at: datetime | None = None,
    unit_cost: Decimal | None = None,
    source: str = "manual",
    external_ref: str | None = None,
    user=None,
    note: str = "",
) -> PostedMovement:
    """Post one movement. Raises PostingError (a ValidationError) and writes nothing if refused."""
    line = MovementLine(
        warehouse=warehouse,
        sku=sku,
        kind=kind,
        quantity=quantity,
        occurred_at=occurred_at,
        unit_cost=unit_cost,
        external_ref=external_ref,
        note=note,
    )
    return movements_post(lines=[line], source=source, user=user)[0]


def transfer_post(
    *,
    from_warehouse: Warehouse,
    to_warehouse: Warehouse,
    sku: SKU,
    quantity: int,
    occurred_at: datetime | None = None,
    external_ref: str | None = None,
    user=None,
    note: str = "",
) -> tuple[PostedMovement, PostedMovement]:
    """Move `quantity` (> 0) units between warehouses: two movements in one transaction."""
    if from_warehouse.pk == to_warehouse.pk:
        raise PostingError([(0, _("A transfer needs two different warehouses."))])
    if quantity <= 0:
        raise PostingError([(0, _("A transfer quantity must be greater than zero."))])
    occurred_at = occurred_at or timezone.now()
    out_line = MovementLine(
        warehouse=from_warehouse,
        sku=sku,
        kind=MovementKind.TRANSFER_OUT,
        quantity=-quantity,
        occurred_at=occurred_at,
        note=note,
        external_ref=f"{external_ref}:out" if external_ref else None,
    )
    in_line = MovementLine(
        warehouse=to_warehouse,
        sku=sku,
        kind=MovementKind.TRANSFER_IN,
        quantity=quantity,
        occurred_at=occurred_at,
        note=note,
        external_ref=f"{external_ref}:in" if external_ref else None,
    )
    posted = movements_post(lines=[out_line, in_line], source="transfer", user=user)
    return posted[0], posted[1]


def movements_post(
    *, lines: list[MovementLine], source: str = "manual", user=None
) -> list[PostedMovement]:
    """Post many movements atomically: all are written, or none (PostingError lists each refusal).

    Outside a transaction, deadlocks and serialization failures are retried with a short backoff.
    """
    _validate_lines(lines)
    if connection.in_atomic_block:
        return _post_locked(lines, source, user, may_restart=False)
    for attempt in range(1, _MAX_ATTEMPTS + 1):
        try:
            with transaction.atomic():
                return _post_locked(lines, source, user, may_restart=True)
        except bulk_sql.BalanceRace:
            # Another posting created a balance row this one needed: start again, in order.
            if attempt == _MAX_ATTEMPTS:
                raise
            continue
        except IntegrityError:
            # A concurrent post of the same external_ref won the race; the next attempt finds it.
            if attempt == _MAX_ATTEMPTS or not any(line.external_ref for line in lines):
                raise
        except OperationalError as exc:
            sqlstate = getattr(getattr(exc, "__cause__", None), "sqlstate", None)
            if sqlstate not in _RETRYABLE_SQLSTATES or attempt == _MAX_ATTEMPTS:
                raise
            logger.info("posting retried after %s (attempt %d)", sqlstate, attempt)
        time.sleep(0.01 * 2**attempt)
    raise AssertionError("unreachable")


def _validate_lines(lines: list[MovementLine]) -> None:
    if not lines:
        raise PostingError([(0, _("Nothing to post."))])
    latest = timezone.now() + timedelta(days=settings.STOCKWISE["MAX_FUTURE_DAYS"])
    errors = []
    for index, line in enumerate(lines):
        error = _line_error(line, latest)
        if error:
            errors.append((index, error))
    if errors:
        raise PostingError(errors)


def _line_error(line: MovementLine, latest: datetime) -> str | None:
    if line.kind not in _KIND_VALUES:
        return _("Unknown movement kind %(kind)s.") % {"kind": line.kind}
    if not isinstance(line.quantity, int) or isinstance(line.quantity, bool):
        return _("The quantity must be a whole number of units.")
    if line.quantity == 0:
        return _("The quantity must not be zero.")
    if abs(line.quantity) > 10_000_000:
        return _("The quantity %(qty)s is not plausible.") % {"qty": line.quantity}
    if line.kind in INBOUND_KINDS and line.quantity < 0:
        label = MovementKind(line.kind).label
        return _("A %(kind)s adds stock: its quantity must be positive.") % {"kind": label}
    if line.kind in OUTBOUND_KINDS and line.quantity > 0:
        label = MovementKind(line.kind).label
        return _("A %(kind)s removes stock: its quantity must be negative.") % {"kind": label}
    if line.occurred_at is not None:
        if timezone.is_naive(line.occurred_at):
            return _("The movement time needs a time zone.")
        if line.occurred_at > latest:
            return _("The movement is dated in the future (%(when)s).") % {
                "when": line.occurred_at.isoformat()
            }
    if line.unit_cost is not None and line.unit_cost < 0:
        return _("The unit cost must not be negative.")
    if line.external_ref is not None and not str(line.external_ref).strip():
        return _("The external reference must not be blank.")
    return None


def _post_locked(
    lines: list[MovementLine], source: str, user, *, may_restart: bool
) -> list[PostedMovement]:
    balances, existing = _lock_balances(lines, source, may_restart=may_restart)
    plan = _plan(lines, source, existing)
    errors = _check_stock(plan, balances)
    if errors:
        raise PostingError(errors)

    now = timezone.now()
    new_rows = _movement_rows(plan, source, user, now)
    changed = {}
    for _index, line in plan.to_create:
        balance = balances[(line.warehouse.pk, line.sku.pk)]
        balance.on_hand += line.quantity
        balance.updated_at = now
        changed[balance.pk] = balance
    if new_rows and connection.vendor == "postgresql" and len(new_rows) <= bulk_sql.SMALL_BATCH:
        # One statement for ledger rows, their days and the balances: round trips are what a
        # small posting costs. (A big import batch runs faster as three plain statements.)
        days = daily.day_sums(new_rows)
        bulk_sql.write_posting(new_rows, list(changed.values()), daily.daily_upsert_sql(days), now)
    elif new_rows:
        bulk_sql.insert_movements(new_rows, now)
        daily.daily_stock_record(new_rows)
        bulk_sql.write_balances(list(changed.values()), now)

    created_ids = [row.pk for row in new_rows]
    if created_ids:
        transaction.on_commit(lambda: hooks.run_after_movements_posted(created_ids))

    results: list[PostedMovement | None] = [None] * len(lines)
    for (index, _line), row in zip(plan.to_create, new_rows, strict=True):
        results[index] = PostedMovement(row, True)
    for index, row in plan.existing.items():
        results[index] = PostedMovement(row, False)
    for index, first in plan.repeats.items():
        results[index] = PostedMovement(results[first].movement, False)
    return results  # type: ignore[return-value]


def _movement_rows(plan: _Plan, source: str, user, now: datetime) -> list[StockMovement]:
    """The new ledger rows, their warehouse, SKU and user cached on them.

    Built as `Model.from_db` would load them, without `Model.__init__` (its per-field work and
    signals cost more than the insert itself at import sizes; nothing listens to StockMovement's
    init signals). They are not saved yet: `_state.adding` stays True until they are.
    """
    user_id = user.pk if user is not None else None
    new, state = StockMovement.__new__, ModelState
    rows = []
    for _index, line in plan.to_create:
        row = new(StockMovement)
        row._state = state()
        row.__dict__.update(
            id=None,
            warehouse_id=line.warehouse.pk,
            sku_id=line.sku.pk,
            kind=line.kind,
            quantity=line.quantity,
            occurred_at=line.occurred_at or now,
            unit_cost=line.unit_cost if line.unit_cost is not None else line.sku.unit_cost,
            source=source,
            external_ref=line.external_ref,
            user_id=user_id,
            note=line.note[:255],
            created_at=None,
        )
        row._state.fields_cache.update(warehouse=line.warehouse, sku=line.sku, user=user)
        rows.append(row)
    return rows


def _lock_balances(
    lines: list[MovementLine], source: str, *, may_restart: bool
) -> tuple[dict[tuple[int, int], StockBalance], dict[str, StockMovement] | None]:
    """Lock all touched balance rows in (warehouse, SKU) order, creating missing ones.

    On PostgreSQL the ledger rows already holding the lines' external refs come back in the
    same round trip when it can (else None: `_plan` reads them).
    """
    keys = sorted({(line.warehouse.pk, line.sku.pk) for line in lines})
    if connection.vendor == "postgresql":
        refs = sorted({line.external_ref for line in lines if line.external_ref})
        refs_of = (source, refs) if refs else None
        return bulk_sql.lock_balances_pg(keys, may_restart=may_restart, refs_of=refs_of)
    StockBalance.objects.bulk_create(
        [StockBalance(warehouse_id=w, sku_id=s, on_hand=0) for w, s in keys],
        ignore_conflicts=True,
        batch_size=2000,
    )
    wanted = set(keys)
    rows = (
        StockBalance.objects.select_for_update()
        .filter(
            warehouse_id__in={w for w, _s in keys},
            sku_id__in={s for _w, s in keys},
        )
        .order_by("warehouse_id", "sku_id")
    )
    balances = {
        (row.warehouse_id, row.sku_id): row
        for row in rows
        if (row.warehouse_id, row.sku_id) in wanted
    }
    return balances, None


def _plan(lines: list[MovementLine], source: str, existing: dict | None) -> _Plan:
    """Split lines into new ones and repeats of an external_ref already in the ledger
    (`existing`: those ledger rows by ref when the lock already read them)."""
    plan = _Plan()
    refs = {line.external_ref for line in lines if line.external_ref}
    if existing is None:
        existing = {}
        if refs and connection.vendor == "postgresql":
            rows = StockMovement.objects.raw(bulk_sql.REFS_SQL, [source, sorted(refs)])
            existing = {row.external_ref: row for row in rows}
        elif refs:
            for row in StockMovement.objects.filter(source=source, external_ref__in=refs):
                existing[row.external_ref] = row
    seen_in_batch: dict[str, int] = {}
    for index, line in enumerate(lines):
        ref = line.external_ref
        if ref and ref in existing:
            plan.existing[index] = existing[ref]
        elif ref and ref in seen_in_batch:
            plan.repeats[index] = seen_in_batch[ref]
        else:
            if ref:
                seen_in_batch[ref] = index
            plan.to_create.append((index, line))
    return plan


def _check_stock(plan: _Plan, balances) -> list[tuple[int, str]]:
    running: dict[tuple[int, int], int] = defaultdict(int)
    errors = []
    for index, line in plan.to_create:
        key = (line.warehouse.pk, line.sku.pk)
        before = balances[key].on_hand + running[key]
        running[key] += line.quantity
        if (
            line.quantity < 0
            and before + line.quantity < 0
            and not line.warehouse.allow_negative_stock
        ):
            errors.append(
                (
                    index,
                    _(
                        "Not enough stock of %(sku)s in %(warehouse)s: %(on_hand)s on hand, "
                        "%(needed)s needed."
                    )
                    % {
                        "sku": line.sku.seller_sku,
                        "warehouse": line.warehouse.code,
                        "on_hand": before,
                        "needed": -line.quantity,
                    },
                )
            )
    return errors
