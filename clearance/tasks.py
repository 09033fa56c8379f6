from celery import shared_task

from clearance.services import batches_propose_due


@shared_task
def propose_clearance_batches_task() -> list[int]:
    """Weekly: propose a clearance batch per warehouse that is due (see batches_propose_due)."""
    return [batch.pk for batch in batches_propose_due()]
