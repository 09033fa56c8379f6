"""The clearance batch list exports every filtered batch with its progress."""

import csv
import io

import pytest
from django.urls import reverse

from clearance import services
from clearance.models import Strategy

pytestmark = pytest.mark.django_db


def test_batch_list_exports_every_batch_with_its_progress(
    client, manager, warehouse, make_slow, run_recompute
):
    make_slow(warehouse, age=60, qty=10, seller_sku="OLD-A")
    run_recompute()
    done = services.batch_propose(warehouse=warehouse)
    line = done.lines.get()
    services.lines_update(
        batch=done,
        user=manager,
        edits=[
            services.LineEdit(
                line_id=line.pk,
                decision="approved",
                strategy=Strategy.CHANNEL_TRANSFER,
                quantity=4,
                discount=None,
            )
        ],
    )
    services.batch_approve(batch=done, user=manager)
    services.line_mark_done(
        line=line, user=manager
    )  # posts a CLEARANCE_OUT of 4 (4 × 4.00 back as cash)
    make_slow(warehouse, age=90, qty=3, seller_sku="OLD-B")
    run_recompute()
    pending = services.batch_propose(warehouse=warehouse)
    client.force_login(manager)

    response = client.get(reverse("clearance:batch_list"), {"_export": "csv", "per_page": 1})

    assert response.status_code == 200
    assert "clearance-batches.csv" in response["Content-Disposition"]
    rows = {row["#"]: row for row in csv.DictReader(io.StringIO(response.content.decode()))}
    assert set(rows) == {str(done.pk), str(pending.pk)}
    assert (rows[str(done.pk)]["Units cleared"], rows[str(done.pk)]["Capital recovered"]) == (
        "4",
        "16.00",
    )
    assert rows[str(pending.pk)]["Units cleared"] == ""
    filtered = client.get(reverse("clearance:batch_list"), {"_export": "csv", "status": "proposed"})
    assert [r["#"] for r in csv.DictReader(io.StringIO(filtered.content.decode()))] == [
        str(pending.pk)
    ]
