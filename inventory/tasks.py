import logging

from celery import shared_task

from inventory.facts import recompute
from inventory.selectors import ledger_mismatches

logger = logging.getLogger(__name__)


@shared_task
def check_ledger_task() -> int:
    """Nightly proof that balances equal the ledger; logs every mismatch."""
    mismatches = ledger_mismatches()
    for m in mismatches:
        logger.error(
            "ledger mismatch %s %s balance=%s ledger=%s",
            m.warehouse_code,
            m.seller_sku,
            m.balance,
            m.ledger_sum,
        )
    return len(mismatches)


@shared_task
def nightly_recompute_task(as_of: str | None = None, full: bool = False) -> None:
    """The same code path as `manage.py recompute [--full]`."""
    from datetime import date

    recompute(date.fromisoformat(as_of) if as_of else None, full=full)


@shared_task(acks_late=True)
def import_job_run_task(job_id: int) -> None:
    """Run one uploaded import (the same service the tests call directly)."""
    from inventory.imports.jobs import import_job_run

    import_job_run(job_id=job_id)


@shared_task
def turnover_digest_task(as_of: str | None = None) -> int:
    """Weekly: email each manager the turnover notices of their warehouses."""
    from datetime import date

    from inventory.turnover_notices import turnover_digest_send

    return turnover_digest_send(date.fromisoformat(as_of) if as_of else None)
