"""Import jobs: an upload is stored, then imported by a Celery task that calls `import_job_run`.

Progress is written to the cache (shared by web and worker) because the import itself runs in
one transaction: a progress column updated inside it would stay invisible until the end.
"""

import logging
from datetime import timedelta

from django.core.cache import cache
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from inventory.imports.base import ImportRefused
from inventory.imports.receipts import receipts_import
from inventory.imports.tiktok import tiktok_orders_import
from inventory.models import ImportJob, ImportKind, ImportStatus, Warehouse

logger = logging.getLogger(__name__)

RUNNERS = {
    ImportKind.TIKTOK_ORDERS: tiktok_orders_import,
    ImportKind.RECEIPTS: receipts_import,
}


def progress_key(job_id: int) -> str:
    return f"stockwise:import-job:{job_id}:progress"


def import_job_create(
    *, user, warehouse: Warehouse, kind: str, file: UploadedFile, language: str = ""
) -> ImportJob:
    """Store the upload as a queued job; the import task starts once the job is committed."""
    job = ImportJob.objects.create(
        kind=kind,
        warehouse=warehouse,
        file=file,
        original_name=(file.name or "upload")[:255],
        user=user,
        language=language[:10],
    )
    transaction.on_commit(lambda: import_job_enqueue(job.pk))
    return job


def import_job_enqueue(job_id: int) -> bool:
    """Hand a job to the worker. With the broker down the job stays queued (the page says so)
    and `import_jobs_requeue` hands it over once the broker is back."""
    from inventory.tasks import import_job_run_task

    try:
        import_job_run_task.delay(job_id)
    except Exception:
        logger.warning("could not enqueue import job %s; the sweep will", job_id, exc_info=True)
        return False
    return True


def import_jobs_requeue(grace_seconds: int = 300) -> int:
    """Beat sweep: enqueue again the jobs still queued after `grace_seconds` (lost task)."""
    limit = timezone.now() - timedelta(seconds=grace_seconds)
    ids = ImportJob.objects.filter(status=ImportStatus.QUEUED, created_at__lte=limit)
    return sum(import_job_enqueue(pk) for pk in ids.values_list("pk", flat=True))


def _progress_set(job_id: int, percent: int) -> None:
    try:
        cache.set(progress_key(job_id), percent, timeout=24 * 3600)
    except Exception:  # the cache (Redis) is down: progress is cosmetic, the import goes on
        logger.warning("could not store the progress of import job %s", job_id, exc_info=True)


def import_job_run(*, job_id: int) -> ImportJob:
    """Run a queued job: its import, its progress, and the summary or the row errors.

    Safe to run twice (a redelivered task): a finished job is left as it is, and the import
    itself is idempotent on the movements' external references.
    """
    job = ImportJob.objects.select_related("warehouse", "user").get(pk=job_id)
    if job.finished:
        return job
    job.status, job.started_at, job.progress = ImportStatus.RUNNING, timezone.now(), 0
    job.save(update_fields=["status", "started_at", "progress"])
    last = [-1]

    def progress(fraction: float) -> None:
        percent = int(fraction * 100)
        if percent != last[0]:
            last[0] = percent
            _progress_set(job.pk, percent)

    with translation.override(job.language or None):
        try:
            with job.file.open("rb") as handle:
                summary = RUNNERS[job.kind](
                    source=handle, warehouse=job.warehouse, user=job.user, progress=progress
                )
        except ImportRefused as exc:
            job.status, job.errors, job.error_total = ImportStatus.REFUSED, exc.as_json(), exc.total
        except Exception:
            logger.exception("import job %s failed", job.pk)
            job.status, job.error_total = ImportStatus.FAILED, 1
            job.errors = [{"row": None, "message": _("The import failed unexpectedly.")}]
        else:
            job.status, job.counts, job.progress = ImportStatus.DONE, summary.as_dict(), 100
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "counts", "errors", "error_total", "progress", "finished_at"])
    try:
        cache.delete(progress_key(job.pk))
    except Exception:
        logger.warning("could not clear the progress of import job %s", job.pk, exc_info=True)
    return job


def import_job_progress(job: ImportJob) -> int:
    """Percent done: live from the cache while the job runs."""
    if job.status == ImportStatus.RUNNING:
        try:
            return int(cache.get(progress_key(job.pk), job.progress))
        except Exception:  # the cache (Redis) is down: show the last stored figure
            logger.warning("could not read the progress of import job %s", job.pk, exc_info=True)
    return 100 if job.finished else job.progress
