"""Import jobs: an upload is stored, then imported by a Celery task that calls `import_job_run`.

Progress is written to the cache (shared by web and worker) because the import itself runs in
one transaction: a progress column updated inside it would stay invisible until the end.
"""

import logging

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
    from inventory.tasks import import_job_run_task

    transaction.on_commit(lambda: import_job_run_task.delay(job.pk))
    return job


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
            cache.set(progress_key(job.pk), percent, timeout=24 * 3600)

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
    cache.delete(progress_key(job.pk))
    return job


def import_job_progress(job: ImportJob) -> int:
    """Percent done: live from the cache while the job runs."""
    if job.status == ImportStatus.RUNNING:
        return int(cache.get(progress_key(job.pk), job.progress))
    return 100 if job.finished else job.progress
