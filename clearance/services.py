"""Writes of the clearance workflow: propose, decide, approve or reject, clear, close.

Stock leaves the warehouse only through `inventory.services.movements_post`, with the external
reference `clearance:<batch>:<line>`, so a disposal is posted exactly once however often the
button is pressed. Every write locks the batch row first; lines change only under that lock.
"""

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_FLOOR, Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import (
    DecimalField,
    ExpressionWrapper,
    F,
    Max,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Window,
)
from django.db.models.functions import RowNumber
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from clearance.models import (
    DISPOSAL_KINDS,
    OPEN_BATCH_STATUSES,
    BatchOrigin,
    BatchStatus,
    ClearanceBatch,
    ClearanceLine,
    LineDecision,
    ReasonCode,
    Strategy,
)
from inventory import audit
from inventory.ageing import day_start
from inventory.ages import oldest_unit_age
from inventory.models import MovementKind, SkuFacts, StockBalance, StockMovement, Warehouse
from inventory.roles import Role
from inventory.services import MovementLine, movements_post

logger = logging.getLogger(__name__)
_CENT = Decimal("0.01")


# --- suggestions ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    strategy: str
    reason_code: str
    discount: Decimal | None = None
    bundle_with_id: int | None = None


def target_discount(age_days: int) -> Decimal:
    """The discount the age band calls for (settings CLEARANCE_DISCOUNTS)."""
    for max_age, percent in settings.STOCKWISE["CLEARANCE_DISCOUNTS"]:
        if max_age is None or age_days <= max_age:
            return Decimal(percent)
    return Decimal(settings.STOCKWISE["CLEARANCE_DISCOUNTS"][-1][1])


def cost_recovering_discount(unit_cost: Decimal, unit_price: Decimal) -> Decimal:
    """The deepest whole-percent discount whose price still covers the unit cost (0 if none)."""
    if unit_price <= 0 or unit_cost >= unit_price:
        return Decimal("0")
    ceiling = (100 * (1 - unit_cost / unit_price)).to_integral_value(rounding=ROUND_FLOOR)
    return min(ceiling, Decimal("95"))


def suggest_strategy(
    *, age_days: int, unit_cost: Decimal, unit_price: Decimal, best_seller_id: int | None
) -> Suggestion:
    """Pick the clearance strategy for one slow mover (rules in settings.STOCKWISE, see base.py).

    Order: too old -> WRITE_OFF; the age band's discount recovers cost -> PROMOTION at it;
    a best seller of the same category -> BUNDLE; a cost-recovering discount of at least the
    minimum -> PROMOTION at that discount; otherwise CHANNEL_TRANSFER.
    """
    cfg = settings.STOCKWISE
    if age_days > cfg["CLEARANCE_WRITE_OFF_AGE_DAYS"]:
        return Suggestion(Strategy.WRITE_OFF, ReasonCode.TOO_OLD)
    target = target_discount(age_days)
    ceiling = cost_recovering_discount(unit_cost, unit_price)
    if ceiling >= target:
        return Suggestion(Strategy.PROMOTION, ReasonCode.PROMOTION, discount=target)
    if best_seller_id is not None:
        return Suggestion(
            Strategy.BUNDLE, ReasonCode.BUNDLE, discount=None, bundle_with_id=best_seller_id
        )
    if ceiling >= cfg["CLEARANCE_MIN_DISCOUNT"]:
        return Suggestion(Strategy.PROMOTION, ReasonCode.PROMOTION_CAPPED, discount=ceiling)
    return Suggestion(Strategy.CHANNEL_TRANSFER, ReasonCode.NO_MARGIN)


def _best_sellers(warehouse: Warehouse, as_of: date) -> dict[int, int]:
    """Category id -> the SKU with the most units sold in the warehouse over the demand window
    up to `as_of` that still has stock and is not itself a slow mover (ties: seller SKU).

    One grouped query that ranks within each category and returns one row per category: the
    SKUs' sales are never fetched (at 100k SKUs that list held tens of MiB in the process)."""
    days = settings.STOCKWISE["DEMAND_WINDOW_DAYS"]
    start = day_start(as_of - timedelta(days=days - 1), warehouse.timezone)
    end = day_start(as_of + timedelta(days=1), warehouse.timezone)
    in_stock = StockBalance.objects.filter(warehouse=warehouse, on_hand__gt=0).values("sku_id")
    slow = SkuFacts.objects.filter(warehouse=warehouse, slow_mover=True).values("sku_id")
    rows = (
        StockMovement.objects.filter(
            warehouse=warehouse,
            kind=MovementKind.SALE,
            occurred_at__gte=start,
            occurred_at__lt=end,
            sku__category__isnull=False,
            sku_id__in=in_stock,
        )
        .exclude(sku_id__in=slow)
        .values("sku__category_id", "sku_id", "sku__seller_sku")
        .annotate(units=-Sum("quantity"))
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=F("sku__category_id"),
                order_by=[F("units").desc(), F("sku__seller_sku").asc()],
            )
        )
        .filter(rank=1)
        .values_list("sku__category_id", "sku_id")
    )
    return dict(rows)


# --- proposals ------------------------------------------------------------------------------


def open_batch_sku_ids(warehouse: Warehouse):
    """SKUs already in a proposed or approved batch of the warehouse (a subquery)."""
    return ClearanceLine.objects.filter(
        batch__warehouse=warehouse, batch__status__in=OPEN_BATCH_STATUSES
    ).values("sku_id")


@transaction.atomic
def batch_propose(
    *, warehouse: Warehouse, user=None, origin: str = BatchOrigin.MANUAL
) -> ClearanceBatch | None:
    """Propose a batch from the warehouse's slow movers (as of the last recompute) that are not
    already in an open batch; None when there is none. Managers are emailed the link.

    At most CLEARANCE_MAX_LINES lines, most capital tied up first: a manager decides each line
    on one page; the rest wait for the next proposal.
    """
    # Serialise proposals per warehouse so two clicks cannot put a SKU in two open batches.
    Warehouse.objects.select_for_update().filter(pk=warehouse.pk).first()
    balance = StockBalance.objects.filter(warehouse=warehouse, sku=OuterRef("sku")).values(
        "on_hand"
    )
    candidates = list(
        SkuFacts.objects.filter(warehouse=warehouse, slow_mover=True)
        .exclude(sku_id__in=open_batch_sku_ids(warehouse))
        .annotate(on_hand=Subquery(balance))
        .filter(on_hand__gt=0)
        .select_related("sku")
        .annotate(
            oldest_unit_age_days=oldest_unit_age(),
            capital=ExpressionWrapper(
                F("on_hand") * F("sku__unit_cost"), output_field=DecimalField()
            ),
        )
        .order_by("-capital", "sku__seller_sku")[: settings.STOCKWISE["CLEARANCE_MAX_LINES"]]
    )
    if not candidates:
        return None
    facts_as_of = max(f.as_of for f in candidates)
    best = _best_sellers(warehouse, facts_as_of)
    batch = ClearanceBatch.objects.create(
        warehouse=warehouse, origin=origin, facts_as_of=facts_as_of, proposed_by=user
    )
    lines = []
    for facts in candidates:
        sku = facts.sku
        age = facts.oldest_unit_age_days or 0
        suggestion = suggest_strategy(
            age_days=age,
            unit_cost=sku.unit_cost,
            unit_price=sku.unit_price,
            best_seller_id=best.get(sku.category_id),
        )
        lines.append(
            ClearanceLine(
                batch=batch,
                sku=sku,
                units=facts.on_hand,
                age_days=age,
                unit_cost=sku.unit_cost,
                unit_price=sku.unit_price,
                capital=(facts.on_hand * sku.unit_cost).quantize(_CENT),
                recent_sales=facts.units_sold_slow_window,
                window_sales=facts.units_sold_window,
                suggested_strategy=suggestion.strategy,
                suggested_discount=suggestion.discount,
                bundle_with_id=suggestion.bundle_with_id,
                reason_code=suggestion.reason_code,
                strategy=suggestion.strategy,
                quantity=facts.on_hand,
                discount=suggestion.discount,
            )
        )
    ClearanceLine.objects.bulk_create(lines, batch_size=1000)
    batch_id = batch.pk
    transaction.on_commit(lambda: batch_notify_managers(batch_id))
    logger.info("clearance batch %s proposed for %s with %d lines", batch_id, warehouse, len(lines))
    return batch


def batches_propose_due(as_of: date | None = None) -> list[ClearanceBatch]:
    """The scheduled proposal: a batch for each warehouse whose last batch is at least
    CLEARANCE_PROPOSAL_DAYS old (or that has none). Weekly beat task and nightly step."""
    as_of = as_of or timezone.localdate()
    interval = settings.STOCKWISE["CLEARANCE_PROPOSAL_DAYS"]
    latest = dict(
        ClearanceBatch.objects.values("warehouse_id")
        .annotate(last=Max("created_at"))
        .values_list("warehouse_id", "last")
    )
    proposed = []
    for warehouse in Warehouse.objects.order_by("code"):
        last = latest.get(warehouse.pk)
        if last is not None and (as_of - timezone.localdate(last)).days < interval:
            continue
        batch = batch_propose(warehouse=warehouse, origin=BatchOrigin.SCHEDULED)
        if batch:
            proposed.append(batch)
    return proposed


def batch_managers(warehouse: Warehouse):
    """Active members of the warehouse who may approve batches and have an email address."""
    return (
        get_user_model()
        .objects.filter(warehouses=warehouse, is_active=True)
        .filter(Q(groups__name__in=[Role.MANAGER, Role.ADMIN]) | Q(is_superuser=True))
        .exclude(email="")
        .distinct()
        .order_by("pk")
    )


def batch_notify_managers(batch_id: int) -> int:
    """Email the warehouse's managers a link to the proposed batch; returns emails sent."""
    batch = ClearanceBatch.objects.select_related("warehouse").get(pk=batch_id)
    recipients = list(batch_managers(batch.warehouse).values_list("email", flat=True))
    if not recipients:
        return 0
    totals = batch.lines.aggregate(capital=Sum("capital"), units=Sum("units"))
    context = {
        "batch": batch,
        "lines": batch.lines.count(),
        "units": totals["units"] or 0,
        "capital": totals["capital"] or Decimal("0"),
        "url": settings.SITE_URL.rstrip("/") + batch.get_absolute_url(),
    }
    subject = _("Clearance batch #%(id)s for %(warehouse)s: %(lines)s slow movers to decide") % {
        "id": batch.pk,
        "warehouse": batch.warehouse.code,
        "lines": context["lines"],
    }
    body = render_to_string("clearance/email/batch_proposed.txt", context)
    try:
        return send_mail(subject, body, None, recipients)
    except Exception:  # an unreachable mail server must not undo the proposal
        logger.exception("could not email clearance batch %s", batch_id)
        return 0


# --- decisions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineEdit:
    """The manager's full decision for one line (what the form or the API sends)."""

    line_id: int
    decision: str
    strategy: str
    quantity: int
    discount: Decimal | None


def _locked_batch(batch: ClearanceBatch) -> ClearanceBatch:
    return ClearanceBatch.objects.select_for_update().select_related("warehouse").get(pk=batch.pk)


def _edit_error(line: ClearanceLine, edit: LineEdit) -> str | None:
    if edit.decision not in LineDecision.values:
        return _("Unknown decision %(value)s.") % {"value": edit.decision}
    if edit.strategy not in Strategy.values:
        return _("Unknown strategy %(value)s.") % {"value": edit.strategy}
    if (
        not isinstance(edit.quantity, int)
        or isinstance(edit.quantity, bool)
        or not 1 <= edit.quantity <= line.units
    ):
        return _("The quantity must be a whole number from 1 to %(units)s.") % {"units": line.units}
    if edit.discount is not None and not Decimal("0") <= edit.discount <= Decimal("95"):
        return _("The discount must be between 0 and 95 %.")
    if edit.strategy == Strategy.PROMOTION and not edit.discount:
        return _("A clearance promotion needs a discount.")
    return None


@transaction.atomic
def lines_update(*, batch: ClearanceBatch, user, edits: list[LineEdit]) -> list[ClearanceLine]:
    """Apply the manager's strategy, quantity, discount and decision to lines of a proposed
    batch. All or nothing: a bad edit raises ValidationError naming the SKU."""
    batch = _locked_batch(batch)
    if batch.status != BatchStatus.PROPOSED:
        raise ValidationError(_("Only a proposed batch can be changed."))
    lines = {
        line.pk: line
        for line in ClearanceLine.objects.select_related("sku").filter(
            batch=batch, pk__in=[e.line_id for e in edits]
        )
    }
    errors = []
    for edit in edits:
        line = lines.get(edit.line_id)
        if line is None:
            errors.append(_("Line %(id)s is not in this batch.") % {"id": edit.line_id})
        elif message := _edit_error(line, edit):
            errors.append(f"{line.sku.seller_sku}: {message}")
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    changed = []
    for edit in edits:
        line = lines[edit.line_id]
        discount = None if edit.strategy in DISPOSAL_KINDS else edit.discount
        new = (edit.decision, edit.strategy, edit.quantity, discount)
        if new == (line.decision, line.strategy, line.quantity, line.discount):
            continue
        if edit.decision != line.decision:
            pending = edit.decision == LineDecision.PENDING
            line.decided_by = None if pending else user
            line.decided_at = None if pending else now
        line.decision, line.strategy, line.quantity, line.discount = new
        changed.append(line)
    ClearanceLine.objects.bulk_update(
        changed, ["decision", "strategy", "quantity", "discount", "decided_by", "decided_at"]
    )
    return list(lines.values())


@transaction.atomic
def batch_approve(*, batch: ClearanceBatch, user, comment: str = "") -> ClearanceBatch:
    """Approve a proposed batch: lines still pending are approved with it (who and when)."""
    batch = _locked_batch(batch)
    if batch.status != BatchStatus.PROPOSED:
        raise ValidationError(_("Only a proposed batch can be approved."))
    now = timezone.now()
    lines = batch.lines.all()
    if not lines.exclude(decision=LineDecision.REJECTED).exists():
        raise ValidationError(_("Every line is rejected: reject the batch instead."))
    lines.filter(decision=LineDecision.PENDING).update(
        decision=LineDecision.APPROVED, decided_by=user, decided_at=now
    )
    before = {"status": batch.status}
    batch.status = BatchStatus.APPROVED
    batch.decided_by, batch.decided_at, batch.decision_comment = user, now, comment.strip()
    batch.save(update_fields=["status", "decided_by", "decided_at", "decision_comment"])
    _audit_decision(batch, user, "clearance.approve", before)
    return batch


@transaction.atomic
def batch_reject(*, batch: ClearanceBatch, user, comment: str = "") -> ClearanceBatch:
    """Reject a proposed batch; its lines that were still pending are rejected with it."""
    batch = _locked_batch(batch)
    if batch.status != BatchStatus.PROPOSED:
        raise ValidationError(_("Only a proposed batch can be rejected."))
    now = timezone.now()
    batch.lines.filter(decision=LineDecision.PENDING).update(
        decision=LineDecision.REJECTED, decided_by=user, decided_at=now
    )
    before = {"status": batch.status}
    batch.status = BatchStatus.REJECTED
    batch.decided_by, batch.decided_at, batch.decision_comment = user, now, comment.strip()
    batch.save(update_fields=["status", "decided_by", "decided_at", "decision_comment"])
    _audit_decision(batch, user, "clearance.reject", before)
    return batch


def _audit_decision(batch: ClearanceBatch, user, action: str, before: dict) -> None:
    """The decision and every line's outcome go to the audit history (who, when, what)."""
    lines = batch.lines.select_related("sku").order_by("pk")
    audit.record(
        user=user,
        action=action,
        obj=batch,
        before=before,
        after={
            "status": batch.status,
            "comment": batch.decision_comment,
            "lines": [
                {
                    "sku": line.sku.seller_sku,
                    "decision": line.decision,
                    "strategy": line.strategy,
                    "quantity": line.quantity,
                    "discount": line.discount,
                }
                for line in lines
            ],
        },
    )


def _close(batch: ClearanceBatch, user, comment: str) -> None:
    batch.status = BatchStatus.CLOSED
    batch.closed_by, batch.closed_at, batch.close_comment = user, timezone.now(), comment.strip()
    batch.save(update_fields=["status", "closed_by", "closed_at", "close_comment"])


@transaction.atomic
def batch_close(*, batch: ClearanceBatch, user, comment: str = "") -> ClearanceBatch:
    """Close an approved batch by hand (progress stops being counted at this moment)."""
    batch = _locked_batch(batch)
    if batch.status != BatchStatus.APPROVED:
        raise ValidationError(_("Only an approved batch can be closed."))
    _close(batch, user, comment)
    return batch


@transaction.atomic
def line_mark_done(*, line: ClearanceLine, user) -> ClearanceLine:
    """Mark an approved line done. A channel transfer or write-off posts its CLEARANCE_OUT or
    WRITE_OFF movement first, exactly once, refused when it is more than on hand. The batch
    closes by itself when its last approved line is done. Repeating the call changes nothing."""
    batch = _locked_batch(line.batch)
    line = ClearanceLine.objects.select_related("sku").get(pk=line.pk, batch=batch)
    if line.done:
        return line
    if batch.status != BatchStatus.APPROVED:
        raise ValidationError(_("Lines can be done only in an approved batch."))
    if line.decision != LineDecision.APPROVED:
        raise ValidationError(_("Only an approved line can be done."))
    if line.is_disposal:
        balance = (
            StockBalance.objects.select_for_update()
            .filter(warehouse=batch.warehouse, sku=line.sku)
            .values_list("on_hand", flat=True)
            .first()
        )
        on_hand = balance or 0
        if line.quantity > on_hand:
            raise ValidationError(
                _(
                    "Cannot take %(quantity)s units of %(sku)s out of %(warehouse)s: only "
                    "%(on_hand)s on hand. Lower the quantity or count the stock."
                )
                % {
                    "quantity": line.quantity,
                    "sku": line.sku.seller_sku,
                    "warehouse": batch.warehouse.code,
                    "on_hand": on_hand,
                }
            )
        posted = movements_post(
            lines=[
                MovementLine(
                    warehouse=batch.warehouse,
                    sku=line.sku,
                    kind=DISPOSAL_KINDS[line.strategy],
                    quantity=-line.quantity,
                    external_ref=line.external_ref,
                    note=_("Clearance batch #%(batch)s: %(strategy)s")
                    % {"batch": batch.pk, "strategy": line.get_strategy_display()},
                )
            ],
            source="clearance",
            user=user,
        )
        line.movement = posted[0].movement
    line.done, line.done_by, line.done_at = True, user, timezone.now()
    line.save(update_fields=["done", "done_by", "done_at", "movement"])
    remaining = batch.lines.filter(decision=LineDecision.APPROVED, done=False).exists()
    if not remaining:
        _close(batch, user, "")
    return line
