"""Drop three single-column indexes that a composite index already serves (each starts with the
same column): fewer indexes to write per ledger and rollup row (docs/performance.md "Writes").

Only the indexes are dropped; the foreign keys stay as they are (a plain AlterField would drop
and re-validate them over the whole ledger).
"""

import django.db.models.deletion
from django.db import migrations, models

_INDEXES = [
    # (index, table, column): Django's own names for the FK indexes of 0001 and 0007.
    ("inventory_stockmovement_sku_id_82ae7672", "inventory_stockmovement", "sku_id"),
    ("inventory_stockmovement_warehouse_id_401c7fc4", "inventory_stockmovement", "warehouse_id"),
    ("inventory_dailystock_warehouse_id_13a874a6", "inventory_dailystock", "warehouse_id"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0014_sku_sort_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{name}"',
                    reverse_sql=f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ("{column}")',
                )
                for name, table, column in _INDEXES
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="dailystock",
                    name="warehouse",
                    field=models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="inventory.warehouse",
                    ),
                ),
                migrations.AlterField(
                    model_name="stockmovement",
                    name="sku",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="movements",
                        to="inventory.sku",
                        verbose_name="SKU",
                    ),
                ),
                migrations.AlterField(
                    model_name="stockmovement",
                    name="warehouse",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="movements",
                        to="inventory.warehouse",
                        verbose_name="warehouse",
                    ),
                ),
            ],
        ),
    ]
