"""Imports in the browser: the job page follows the worker's progress and lists bad rows."""

import pytest

from inventory import tasks
from inventory.imports.jobs import import_job_run
from inventory.models import ImportJob, ImportStatus, StockMovement
from tests.browser.helpers import posts_of

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

BAD_RECEIPTS = (
    b"seller_sku,quantity,unit_cost,received_at\n"
    b"TEE-RED-M,5,2.00,2025-12-01\n"
    b"NOPE-42,3,2.00,2025-12-01\n"
    b"TEE-RED-M,three,2.00,2025-12-02\n"
)


class PausedWorker:
    """Stands in for the Celery queue: the job waits until the test runs it like a worker."""

    def __init__(self):
        self.job_ids = []

    def delay(self, job_id):
        self.job_ids.append(job_id)


def upload(page, *, kind, name, content):
    page.goto(page.base_url + "/imports/")
    page.select_option("#id_kind", kind)
    page.select_option("#id_warehouse", "A")
    page.set_input_files(
        "#id_file", files=[{"name": name, "mimeType": "text/csv", "buffer": content}]
    )
    page.click("main button[type=submit]:has-text('Upload and import')")
    page.wait_for_url("**/imports/*/")


def test_a_file_with_bad_rows_is_refused_and_the_page_lists_the_rows(
    page, login, monkeypatch, manager, warehouse, sku
):
    worker = PausedWorker()
    monkeypatch.setattr(tasks, "import_job_run_task", worker)
    login(manager.username)
    posts = posts_of(page)

    upload(page, kind="receipts", name="receipts-december.csv", content=BAD_RECEIPTS)

    job = ImportJob.objects.get()
    assert posts == ["/imports/"] and worker.job_ids == [job.pk]
    assert "receipts-december.csv" in page.locator("main h1").inner_text()
    status = page.locator("#import-status")
    assert status.get_attribute("data-status") == ImportStatus.QUEUED
    assert "Queued…" in status.inner_text()
    assert page.locator("#import-status .progress").count() == 1

    import_job_run(job_id=job.pk)  # the worker picks it up; the page polls every second

    page.wait_for_selector("#import-status[data-status=refused]", timeout=5_000)
    text = page.locator("#import-status").inner_text()
    assert "The file was refused (2 problems); nothing was imported." in text
    rows = page.locator("#import-status tbody tr").all_inner_texts()
    assert [r.split("\t")[0] for r in rows] == ["3", "4"]
    assert "Unknown SKU “NOPE-42”." in rows[0]
    assert "quantity" in rows[1]
    assert not StockMovement.objects.exists()

    # The list of recent imports shows it refused.
    page.goto(page.base_url + "/imports/")
    assert "Refused" in page.locator("main table tbody tr").first.inner_text()


def test_a_good_file_is_imported_and_summarised(page, login, manager, warehouse, sku):
    login(manager.username)
    upload(page, kind="receipts", name="ok.csv", content=BAD_RECEIPTS.split(b"NOPE")[0])

    page.wait_for_selector("#import-status[data-status=done]")
    text = page.locator("#import-status").inner_text()
    assert "Imported." in text and "Movements posted\t1" in text
    assert StockMovement.objects.get().quantity == 5
