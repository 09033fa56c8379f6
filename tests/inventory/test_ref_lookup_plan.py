"""Looking up the ledger rows that hold some external refs of a source stays a lookup of each
ref when PostgreSQL's statistics do not know the source yet.

Autovacuum re-analyses a table after 10 % of its rows change: on a 10M-row ledger a new API
client or a first import can post 100k rows before the statistics learn its source. With the
unique index led by the source, the planner then expected one row for the source and filtered
every row of it for the refs (11 ms a POST after 10k API rows, 14 s for a 5,000-line import
after 20k, measured on the benchmark database).
"""

import pytest
from django.db import connection

from inventory.bulk_sql import REFS_SQL
from inventory.models import StockMovement
from tests.plans import explain

pytestmark = pytest.mark.postgres


def test_refs_of_a_source_unknown_to_the_statistics_are_looked_up_by_ref(warehouse, sku):
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO inventory_stockmovement (warehouse_id, sku_id, kind, quantity, "
            "occurred_at, unit_cost, source, external_ref, note, created_at) "
            "SELECT %s, %s, 'RECEIPT', 1, now(), 0, 'seed', NULL, '', now() "
            "FROM generate_series(1, 5000)",
            [warehouse.pk, sku.pk],
        )
        cursor.execute("ANALYZE inventory_stockmovement")  # the statistics: no 'api' rows
        cursor.execute(
            "INSERT INTO inventory_stockmovement (warehouse_id, sku_id, kind, quantity, "
            "occurred_at, unit_cost, source, external_ref, note, created_at) "
            "SELECT %s, %s, 'RECEIPT', 1, now(), 0, 'api', 'order-' || i, '', now() "
            "FROM generate_series(1, 20000) AS i",
            [warehouse.pk, sku.pk],
        )

    refs = ["order-17", "order-19999", "order-missing"]
    nodes = explain(REFS_SQL, ["api", refs])
    # Every ref is an index condition; nothing reads the source's rows to filter them.
    assert any("external_ref" in node.get("Index Cond", "") for node in nodes), nodes
    assert not any("external_ref" in node.get("Filter", "") for node in nodes), nodes
    # The ORM's spelling of the same lookup (the receipts and purchase-order imports use it).
    orm = StockMovement.objects.filter(source="api", external_ref__in=refs).values_list("id")
    sql, params = orm.query.sql_with_params()
    assert not any("external_ref" in node.get("Filter", "") for node in explain(sql, params))

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT r.external_ref FROM ({REFS_SQL}) r", ["api", refs])  # noqa: S608
        found = {ref for (ref,) in cursor.fetchall()}
    assert found == {"order-17", "order-19999"}
