"""A count session's life: create, start, submit (with recounts), approve, reject.

Approval posts one relative COUNT_ADJUSTMENT per line with a non-zero variance through
`inventory.services.movements_post`, with external_ref "count:<session>:<line>", under a lock on
the session row: two managers approving at the same moment post once.
"""

import uuid
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from counting.models import (
    CountEntry,
    CountKind,
    CountLine,
    CountSession,
    LineReason,
    SessionStatus,
)
from counting.selectors import may_enter_counts
from counting.services.entries import EntryItem, class_snapshot, entries_write, lock_session
from counting.tolerance import within_tolerance
from inventory import audit
from inventory.models import SKU, MovementKind, StockBalance, Warehouse
from inventory.roles import Capability, can
from inventory.services import MovementLine, PostingError, movements_post

COUNT_SOURCE = "count"
# A cycle count listed by hand; larger counts are full counts.
MAX_LISTED_SKUS = 5000
_LIST_PREVIEW = 10


def _preview(names: list[str]) -> str:
    shown = ", ".join(names[:_LIST_PREVIEW])
    return shown + (" …" if len(names) > _LIST_PREVIEW else "")


def session_create(
    *,
    warehouse: Warehouse,
    kind: str,
    user=None,
    skus: list[str] | None = None,
    bins: dict[str, str] | None = None,
    counters=(),
    comment: str = "",
) -> CountSession:
    """Create a draft count session with its lines.

    A full count lists every SKU with stock or a balance in the warehouse. A cycle count lists
    the given Seller SKUs, or, with none given, today's proposal of the schedule. Unknown SKUs
    and counters outside the warehouse are refused with nothing written.
    """
    from counting.services.schedule import cycle_count_candidates

    if kind not in CountKind.values:
        raise ValidationError(_("Unknown count kind %(kind)s.") % {"kind": kind})
    counters = list(counters)
    strangers = [c.get_username() for c in counters if not c.warehouses.filter(pk=warehouse.pk)]
    if strangers:
        raise ValidationError(
            _("Not a member of warehouse %(code)s: %(users)s.")
            % {"code": warehouse.code, "users": ", ".join(strangers)}
        )
    if kind == CountKind.FULL:
        if skus:
            raise ValidationError(_("A full count covers every SKU: leave the SKU list empty."))
        rows = list(
            StockBalance.objects.filter(warehouse=warehouse)
            .filter(Q(sku__active=True) | ~Q(on_hand=0))
            .values_list("sku_id", flat=True)
        )
        reasons = dict.fromkeys(rows, LineReason.FULL)
    elif skus:
        wanted = list(dict.fromkeys(s.strip() for s in skus if s and s.strip()))
        if len(wanted) > MAX_LISTED_SKUS:
            raise ValidationError(
                _("A cycle count lists at most %(max)s SKUs; start a full count instead.")
                % {"max": MAX_LISTED_SKUS}
            )
        found = dict(SKU.objects.filter(seller_sku__in=wanted).values_list("seller_sku", "pk"))
        missing = [s for s in wanted if s not in found]
        if missing:
            raise ValidationError(
                _("Unknown Seller SKU(s): %(skus)s. Nothing was created.")
                % {"skus": _preview(missing)}
            )
        reasons = {found[s]: LineReason.MANUAL for s in wanted}
    else:
        proposal = cycle_count_candidates(warehouse)
        reasons = {row.sku_id: row.reason for row in proposal}
    if not reasons:
        raise ValidationError(
            _("Nothing to count in %(code)s: no SKU is listed or due.") % {"code": warehouse.code}
        )
    return session_with_lines(
        warehouse=warehouse,
        kind=kind,
        user=user,
        reasons=reasons,
        bins=bins,
        counters=counters,
        comment=comment,
    )


@transaction.atomic
def session_with_lines(
    *,
    warehouse: Warehouse,
    kind: str,
    user,
    reasons: dict[int, str],
    bins: dict[str, str] | None = None,
    counters=(),
    comment: str = "",
    scheduled_for=None,
) -> CountSession:
    """Write a session and one line per SKU id (reason per line), classes captured now."""
    session = CountSession.objects.create(
        warehouse=warehouse,
        kind=kind,
        created_by=user,
        comment=comment,
        scheduled_for=scheduled_for,
    )
    if counters:
        session.counters.set(counters)
    classes = class_snapshot(warehouse.pk, list(reasons))
    bin_by_id = {}
    if bins:
        rows = SKU.objects.filter(seller_sku__in=list(bins)).values_list("seller_sku", "pk")
        bin_by_id = {pk: bins[code] for code, pk in rows}
    CountLine.objects.bulk_create(
        [
            CountLine(
                session=session,
                sku_id=sku_id,
                reason=reason,
                abc_class=classes[sku_id],
                bin=bin_by_id.get(sku_id, "")[:32],
            )
            for sku_id, reason in reasons.items()
        ],
        batch_size=2000,
    )
    return session


def session_start(*, session: CountSession, user) -> CountSession:
    """Move a draft session to counting (the first entry does this as well)."""
    with transaction.atomic():
        locked = lock_session(session)
        if not may_enter_counts(user, locked):
            raise PermissionDenied
        if locked.status != SessionStatus.DRAFT:
            return locked
        locked.status = SessionStatus.COUNTING
        locked.started_at = timezone.now()
        locked.save(update_fields=["status", "started_at"])
    return locked


@dataclass
class SubmitResult:
    session: CountSession
    recount_skus: list[str] = field(default_factory=list)

    @property
    def submitted(self) -> bool:
        return self.session.status == SessionStatus.SUBMITTED


def session_submit(*, session: CountSession, user, uncounted_as_zero: bool = False) -> SubmitResult:
    """Close the counting: judge first counts against tolerance; lines out of tolerance ask for a
    recount and the session stays in counting until they are recounted, then it is submitted.

    Uncounted lines are refused, or recorded as 0 counted when `uncounted_as_zero`.
    """
    with transaction.atomic():
        locked = lock_session(session)
        if not may_enter_counts(user, locked):
            raise PermissionDenied
        if locked.status == SessionStatus.SUBMITTED:
            return SubmitResult(locked)
        if locked.status != SessionStatus.COUNTING:
            raise ValidationError(
                _("Count #%(id)s is %(status)s: only a count in progress can be submitted.")
                % {"id": locked.pk, "status": locked.get_status_display().lower()}
            )
        lines = list(locked.lines.select_related("sku").order_by("sku__seller_sku"))
        uncounted = [line for line in lines if line.counted_qty is None]
        if uncounted and not uncounted_as_zero:
            raise ValidationError(
                ngettext(
                    "%(n)s line is not counted yet (%(skus)s). Count it, enter 0 when the shelf "
                    "is empty, or submit recording uncounted lines as 0.",
                    "%(n)s lines are not counted yet (%(skus)s). Count them, enter 0 when the "
                    "shelf is empty, or submit recording uncounted lines as 0.",
                    len(uncounted),
                )
                % {"n": len(uncounted), "skus": _preview([x.sku.seller_sku for x in uncounted])}
            )
        if uncounted:
            entries_write(
                locked,
                [EntryItem(line, 0, uuid.uuid4()) for line in uncounted],
                user=user,
                source=CountEntry.Source.SUBMIT,
            )
            lines = list(locked.lines.select_related("sku").order_by("sku__seller_sku"))
        waiting = [x for x in lines if x.recount_required and x.recount_qty is None]
        if waiting:
            raise ValidationError(
                ngettext(
                    "%(n)s line waits for a recount: %(skus)s.",
                    "%(n)s lines wait for a recount: %(skus)s.",
                    len(waiting),
                )
                % {"n": len(waiting), "skus": _preview([x.sku.seller_sku for x in waiting])}
            )
        newly_flagged = _judge_first_counts(lines)
        if newly_flagged:
            return SubmitResult(locked, [x.sku.seller_sku for x in newly_flagged])
        for line in lines:
            line.variance = line.final_counted - line.final_expected
        CountLine.objects.bulk_update(lines, ["variance"], batch_size=1000)
        locked.status = SessionStatus.SUBMITTED
        locked.submitted_by = user
        locked.submitted_at = timezone.now()
        locked.save(update_fields=["status", "submitted_by", "submitted_at"])
    return SubmitResult(locked)


def _judge_first_counts(lines: list[CountLine]) -> list[CountLine]:
    """Set first_within_tolerance on lines not judged yet; flag the misses for a recount."""
    judged, flagged = [], []
    for line in lines:
        if line.first_within_tolerance is not None:
            continue
        ok = within_tolerance(line.abc_class, expected=line.expected_qty, counted=line.counted_qty)
        line.first_within_tolerance = ok
        line.recount_required = not ok
        judged.append(line)
        if not ok:
            flagged.append(line)
    CountLine.objects.bulk_update(
        judged, ["first_within_tolerance", "recount_required"], batch_size=1000
    )
    return flagged


@dataclass
class ApproveResult:
    session: CountSession
    posted: int
    created: bool


def session_approve(*, session: CountSession, user, comment: str = "") -> ApproveResult:
    """Approve a submitted session: one relative COUNT_ADJUSTMENT per line with a variance.

    Idempotent: a second approval (even at the same moment) finds the session approved and posts
    nothing. A refused posting (stock would go negative) approves nothing and says which SKUs.
    """
    if not can(user, Capability.APPROVE):
        raise PermissionDenied
    with transaction.atomic():
        locked = lock_session(session)
        if locked.status == SessionStatus.APPROVED:
            return ApproveResult(locked, 0, False)
        if locked.status != SessionStatus.SUBMITTED:
            raise ValidationError(
                _("Count #%(id)s is %(status)s: only a submitted count can be approved.")
                % {"id": locked.pk, "status": locked.get_status_display().lower()}
            )
        lines = list(
            locked.lines.select_related("sku")
            .exclude(variance=0)
            .exclude(variance__isnull=True)
            .order_by("pk")
        )
        movement_lines = [
            MovementLine(
                warehouse=locked.warehouse,
                sku=line.sku,
                kind=MovementKind.COUNT_ADJUSTMENT,
                quantity=line.variance,
                external_ref=f"count:{locked.pk}:{line.pk}",
                note=_("Count #%(id)s") % {"id": locked.pk},
            )
            for line in lines
        ]
        if movement_lines:
            try:
                posted = movements_post(lines=movement_lines, source=COUNT_SOURCE, user=user)
            except PostingError as exc:
                raise ValidationError(
                    [_("Not approved: %(reason)s") % {"reason": msg} for _i, msg in exc.line_errors]
                ) from exc
            for line, result in zip(lines, posted, strict=True):
                line.adjustment = result.movement
            CountLine.objects.bulk_update(lines, ["adjustment"], batch_size=1000)
        before = {"status": locked.status}
        locked.status = SessionStatus.APPROVED
        locked.approved_by = user
        locked.approved_at = timezone.now()
        if comment:
            locked.comment = comment
        locked.save(update_fields=["status", "approved_by", "approved_at", "comment"])
        audit.record(
            user=user,
            action="count.approve",
            obj=locked,
            before=before,
            after={
                "status": locked.status,
                "comment": locked.comment,
                "adjustments": [
                    {"sku": line.sku.seller_sku, "variance": line.variance} for line in lines
                ],
            },
        )
    return ApproveResult(locked, len(movement_lines), True)


def session_reject(*, session: CountSession, user, comment: str = "") -> CountSession:
    """Reject an open session: nothing is posted, and its SKUs are due again for counting."""
    if not can(user, Capability.APPROVE):
        raise PermissionDenied
    with transaction.atomic():
        locked = lock_session(session)
        if locked.status == SessionStatus.REJECTED:
            return locked
        if not locked.is_open:
            raise ValidationError(
                _("Count #%(id)s is %(status)s and cannot be rejected.")
                % {"id": locked.pk, "status": locked.get_status_display().lower()}
            )
        before = {"status": locked.status}
        locked.status = SessionStatus.REJECTED
        locked.rejected_by = user
        locked.rejected_at = timezone.now()
        if comment:
            locked.comment = comment
        locked.save(update_fields=["status", "rejected_by", "rejected_at", "comment"])
        audit.record(
            user=user,
            action="count.reject",
            obj=locked,
            before=before,
            after={"status": locked.status, "comment": locked.comment},
        )
    return locked
