"""The upload page: who may import, warehouse scoping, the job, its progress and its result."""

from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from inventory.imports.jobs import import_job_run, progress_key
from inventory.models import ImportJob, ImportStatus, MovementKind, StockMovement
from inventory.services import movement_post
from tests.factories import SKUFactory

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
UPLOAD = reverse("inventory:import_list")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def stocked(warehouse):
    warehouse.timezone = "America/Los_Angeles"
    warehouse.save()
    for n, code in enumerate(("TEE-RED-M", "MUG-BLK", "CAP-NVY"), start=1):
        sku = SKUFactory(seller_sku=code, tiktok_sku_id=f"172938225691027000{n}")
        movement_post(warehouse=warehouse, sku=sku, kind=MovementKind.RECEIPT, quantity=20)


def upload(client, user, *, kind="tiktok_orders", warehouse="A", name="tiktok_us.csv", data=None):
    client.force_login(user)
    content = data if data is not None else (DATA / name).read_bytes()
    return client.post(
        UPLOAD,
        {"kind": kind, "warehouse": warehouse, "file": SimpleUploadedFile(name, content)},
    )


def test_staff_may_not_import(client, staff):
    client.force_login(staff)
    assert client.get(UPLOAD).status_code == 403


def test_manager_uploads_an_export_and_sees_the_summary(
    client, manager, stocked, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = upload(client, manager)
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response.url == job.get_absolute_url()
    assert (job.status, job.kind, job.warehouse.code, job.user) == (
        "queued",
        "tiktok_orders",
        "A",
        manager,
    )
    assert len(callbacks) == 1  # the Celery task is queued once the job is committed

    import_job_run(job_id=job.pk)  # what the task does, run here synchronously

    job.refresh_from_db()
    assert (job.status, job.counts["posted"], job.counts["skipped_unshipped"]) == ("done", 5, 1)
    page = client.get(reverse("inventory:import_status", args=[job.pk])).content.decode()
    assert "Imported." in page and "hx-trigger" not in page
    assert StockMovement.objects.filter(source="tiktok").count() == 5


def test_a_refused_file_shows_its_rows_and_imports_nothing(client, manager, warehouse):
    upload(client, manager)  # no SKUs in the catalog: every shipped line is unknown
    job = ImportJob.objects.get()
    import_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert (job.status, job.error_total) == ("refused", 4)
    assert [e["row"] for e in job.errors] == [3, 4, 7, 8]
    page = client.get(job.get_absolute_url()).content.decode()
    assert "The file was refused (4 problems); nothing was imported." in page
    assert "Unknown SKU: seller SKU “MUG-BLK”" in page
    assert not StockMovement.objects.exists()


def test_running_job_reports_its_progress_and_keeps_polling(client, manager, warehouse):
    upload(client, manager)
    job = ImportJob.objects.get()
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING)
    cache.set(progress_key(job.pk), 42)

    page = client.get(reverse("inventory:import_status", args=[job.pk])).content.decode()

    assert 'aria-valuenow="42"' in page and 'hx-trigger="every 1s"' in page


def test_purchaser_may_import_receipts_but_not_tiktok_sales(client, purchaser, stocked):
    response = upload(client, purchaser)
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not ImportJob.objects.exists()

    receipts = b"seller_sku,quantity,unit_cost,received_at\nMUG-BLK,5,2.00,2025-12-01\n"
    upload(client, purchaser, kind="receipts", name="r.csv", data=receipts)
    job = ImportJob.objects.get()
    import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.counts) == (
        "done",
        {"lines_read": 1, "posted": 1, "already_present": 0},
    )


def test_cannot_upload_into_another_warehouse(client, manager, other_warehouse):
    response = upload(client, manager, warehouse="B")
    assert "Select a valid choice" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_another_warehouses_job_answers_404(client, manager, make_user, other_warehouse):
    other = make_user("manager", other_warehouse)
    upload(client, other, warehouse="B")
    job = ImportJob.objects.get()
    client.force_login(manager)
    assert client.get(job.get_absolute_url()).status_code == 404
    assert client.get(reverse("inventory:import_status", args=[job.pk])).status_code == 404
    assert "tiktok_us.csv" not in client.get(UPLOAD).content.decode()


def test_upload_size_limit(client, manager, settings):
    settings.STOCKWISE = {**settings.STOCKWISE, "IMPORT_MAX_UPLOAD_MB": 0}
    response = upload(client, manager)
    assert "The file is larger than 0 MB." in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_job_runs_once_even_if_the_task_is_delivered_twice(client, manager, stocked):
    upload(client, manager)
    job = ImportJob.objects.get()
    import_job_run(job_id=job.pk)
    import_job_run(job_id=job.pk)
    assert StockMovement.objects.filter(source="tiktok").count() == 5


def test_import_list_queries_do_not_grow_with_jobs(client, manager, django_assert_max_num_queries):
    for _ in range(5):
        upload(client, manager)
    with django_assert_max_num_queries(12):
        response = client.get(UPLOAD)
    assert response.content.decode().count("tiktok_us") >= 5
