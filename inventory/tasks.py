from celery import shared_task

from inventory.facts import nightly_recompute, recompute


@shared_task
def check_ledger_task() -> int:
    """Nightly proof that balances equal the ledger; a mismatch opens an admin notice."""
    from inventory.notices import ledger_check_record

    return len(ledger_check_record())


@shared_task
def nightly_recompute_task(as_of: str | None = None, full: bool = False) -> None:
    """The nightly job (`inventory.facts.nightly_recompute`), or `recompute --full`."""
    from datetime import date

    day = date.fromisoformat(as_of) if as_of else None
    if full:
        recompute(day, full=True)
    else:
        nightly_recompute(day)


@shared_task(acks_late=True)
def import_job_run_task(job_id: int) -> None:
    """Run one uploaded import (the same service the tests call directly)."""
    from inventory.imports.jobs import import_job_run

    import_job_run(job_id=job_id)


@shared_task
def import_jobs_requeue_task() -> int:
    """Beat sweep: hand jobs still queued (their task was lost) to the worker again."""
    from inventory.imports.jobs import import_jobs_requeue

    return import_jobs_requeue()


@shared_task
def turnover_digest_task(as_of: str | None = None) -> int:
    """Weekly: email each manager the turnover notices of their warehouses."""
    from datetime import date

    from inventory.turnover_notices import turnover_digest_send

    return turnover_digest_send(date.fromisoformat(as_of) if as_of else None)
