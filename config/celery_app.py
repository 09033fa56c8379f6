"""The Celery app. Beat schedules the nightly jobs; every task calls one service."""

import os

from celery import Celery
from celery.schedules import crontab

# Whether the environment chose the settings: importing any module of `config` (the WSGI entry
# point too) runs this first, and the default below is the worker's, not the web server's.
SETTINGS_FROM_ENVIRONMENT = "DJANGO_SETTINGS_MODULE" in os.environ
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("stockwise")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    "recompute-nightly": {
        "task": "inventory.tasks.nightly_recompute_task",
        "schedule": crontab(hour=1, minute=15),
    },
    "check-ledger-nightly": {
        "task": "inventory.tasks.check_ledger_task",
        "schedule": crontab(hour=2, minute=30),
    },
    "counting-daily-schedule": {
        "task": "counting.tasks.daily_count_schedule_task",
        "schedule": crontab(hour=3, minute=0),
    },
    # After the nightly recompute: one reorder digest per supplier and purchaser (deduplicated
    # per day, so a second beat cannot send it twice).
    "reorder-digest-daily": {
        "task": "alerts.tasks.daily_digest_task",
        "schedule": crontab(hour=7, minute=0),
    },
    # The real-time check of queued pairs whose scheduled check was lost (postings schedule
    # their own; alerts.rechecks). Two empty DELETEs when nothing is queued.
    "recheck-sweep": {
        "task": "alerts.tasks.recheck_pending_task",
        "schedule": 60.0,
    },
    # Re-enqueue imports whose task was lost (broker outage at upload time).
    "import-jobs-sweep": {
        "task": "inventory.tasks.import_jobs_requeue_task",
        "schedule": crontab(minute="*/5"),
    },
    # Re-enqueue outbox emails whose task was lost (broker outage, worker killed).
    "outbox-sweep": {
        "task": "alerts.tasks.send_pending_emails_task",
        "schedule": crontab(minute="*/5"),
    },
    "turnover-digest-weekly": {
        "task": "inventory.tasks.turnover_digest_task",
        "schedule": crontab(day_of_week="mon", hour=7, minute=0),
    },
    # After Monday's recompute has flagged the slow movers; skips warehouses not yet due.
    "propose-clearance-weekly": {
        "task": "clearance.tasks.propose_clearance_batches_task",
        "schedule": crontab(day_of_week="mon", hour=3, minute=0),
    },
}


@app.on_after_configure.connect
def _make_filesystem_queue_dirs(sender, **kwargs):
    """The filesystem broker needs its folders before the first message."""
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder"):
        if options.get(key):
            os.makedirs(options[key], exist_ok=True)
