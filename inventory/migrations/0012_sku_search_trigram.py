"""Trigram indexes for the SKU search (`q=` on the SKU, replenishment and ageing lists): an
`icontains` is `UPPER(col) LIKE UPPER('%…%')`, which no B-tree serves; at 100k SKUs it was a
scan of the catalogue on every search. PostgreSQL only (pg_trgm ships with it and is a trusted
extension); SQLite keeps scanning, which is fine at its sizes."""

from django.db import migrations

INDEXES = {
    "sku_seller_sku_trgm": "seller_sku",
    "sku_name_trgm": "name",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for index, column in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {index} ON inventory_sku "
            f"USING gin (UPPER({column}) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for index in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {index}")


class Migration(migrations.Migration):
    dependencies = [("inventory", "0011_facts_in_stock_oldest")]

    operations = [migrations.RunPython(create, drop)]
