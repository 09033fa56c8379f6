"""Celery tasks for counting: each calls one service."""

from celery import shared_task

from counting.services import daily_count_schedule


@shared_task
def daily_count_schedule_task() -> int:
    """Propose today's cycle count per warehouse and remind managers of due full counts."""
    return sum(1 for run in daily_count_schedule() if run.session_id)
