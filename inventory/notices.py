"""Admin notices: problems an admin must see (the nightly ledger check found a mismatch).

A notice is opened once per kind and kept up to date while the problem lasts; the job that
raised it resolves it when a later run finds nothing wrong. Admins see open notices on the home
page and in the admin, where they can also mark them resolved.
"""

import logging

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from inventory.models import AdminNotice
from inventory.selectors import LedgerMismatch, ledger_mismatches

logger = logging.getLogger(__name__)

LEDGER_MISMATCH = "ledger_mismatch"
RECOMPUTE_PROOF = "recompute_proof"
# How many mismatching (warehouse, SKU) pairs a notice lists; the count is always complete.
LISTED_MISMATCHES = 50


@transaction.atomic
def admin_notice_raise(*, kind: str, title: str, detail: str = "", data=None) -> AdminNotice:
    """Open the notice of `kind`, or refresh the one already open (title, detail, last seen)."""
    now = timezone.now()
    notice = AdminNotice.objects.select_for_update().filter(kind=kind, resolved_at=None).first()
    if notice is None:
        notice = AdminNotice(kind=kind, opened_at=now)
    notice.title, notice.detail, notice.data = title[:200], detail, data or {}
    notice.last_seen_at = now
    notice.save()
    return notice


def admin_notice_clear(*, kind: str) -> int:
    """Resolve the open notice of `kind` (by the system: the problem is gone)."""
    return AdminNotice.objects.filter(kind=kind, resolved_at=None).update(
        resolved_at=timezone.now()
    )


def admin_notices_resolve(*, ids: list[int], user) -> int:
    """An admin marks notices resolved (who and when are kept)."""
    return AdminNotice.objects.filter(pk__in=ids, resolved_at=None).update(
        resolved_at=timezone.now(), resolved_by=user
    )


def open_admin_notices() -> QuerySet[AdminNotice]:
    """Open notices, newest first (for the admin's home page)."""
    return AdminNotice.objects.filter(resolved_at=None).order_by("-opened_at")


def _describe(m: LedgerMismatch) -> str:
    return _("%(warehouse)s %(sku)s: balance %(balance)s, ledger sum %(ledger)s") % {
        "warehouse": m.warehouse_code,
        "sku": m.seller_sku,
        "balance": "—" if m.balance is None else m.balance,
        "ledger": "—" if m.ledger_sum is None else m.ledger_sum,
    }


def ledger_check_record() -> list[LedgerMismatch]:
    """The nightly ledger proof: every cached balance must equal its ledger sum.

    A mismatch opens (or refreshes) an admin notice listing the pairs; a clean run resolves it.
    """
    mismatches = ledger_mismatches()
    if not mismatches:
        admin_notice_clear(kind=LEDGER_MISMATCH)
        return mismatches
    for m in mismatches:
        logger.error(
            "ledger mismatch %s %s balance=%s ledger=%s",
            m.warehouse_code,
            m.seller_sku,
            m.balance,
            m.ledger_sum,
        )
    listed = mismatches[:LISTED_MISMATCHES]
    lines = [_describe(m) for m in listed]
    if len(mismatches) > len(listed):
        lines.append(_("… and %(n)s more.") % {"n": len(mismatches) - len(listed)})
    admin_notice_raise(
        kind=LEDGER_MISMATCH,
        title=ngettext(
            "Ledger check: %(n)s balance differs from its ledger sum",
            "Ledger check: %(n)s balances differ from their ledger sums",
            len(mismatches),
        )
        % {"n": len(mismatches)},
        detail="\n".join(lines),
        data={
            "count": len(mismatches),
            "pairs": [
                {
                    "warehouse": m.warehouse_code,
                    "sku": m.seller_sku,
                    "balance": m.balance,
                    "ledger_sum": m.ledger_sum,
                }
                for m in listed
            ],
        },
    )
    return mismatches


def recompute_proof_record(proof) -> bool:
    """After the weekly rebuild (`inventory.facts.FullProof`): a rollup row or a pair's facts
    that differed from the ledger opens (or refreshes) an admin notice — the rebuild has
    repaired them, but the incremental path has a fault to find; a clean proof resolves it.
    Returns whether anything differed."""
    pairs = len(proof.pairs_different)
    if not proof.rollup_rows_wrong and not pairs:
        admin_notice_clear(kind=RECOMPUTE_PROOF)
        return False
    listed = [
        _("warehouse %(warehouse)s, SKU %(sku)s: %(figure)s")
        % {"warehouse": w, "sku": sku, "figure": figure}
        for w, sku, figure in proof.pairs_different[:LISTED_MISMATCHES]
    ]
    admin_notice_raise(
        kind=RECOMPUTE_PROOF,
        title=_(
            "Weekly rebuild: %(rows)s daily rollup rows and %(pairs)s SKUs' nightly figures "
            "differed from the ledger (now repaired)"
        )
        % {"rows": proof.rollup_rows_wrong, "pairs": pairs},
        detail="\n".join(listed),
        data={
            "rollup_rows_wrong": proof.rollup_rows_wrong,
            "pairs_compared": proof.pairs_compared,
            "pairs_different": [list(p) for p in proof.pairs_different[:LISTED_MISMATCHES]],
        },
    )
    return True
