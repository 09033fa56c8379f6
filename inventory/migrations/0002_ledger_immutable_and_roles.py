"""Ledger rows cannot be updated or deleted, enforced by the database (PostgreSQL trigger), and
the four role groups exist from the start."""

from django.db import migrations

PG_FORWARD = """
CREATE OR REPLACE FUNCTION stockwise_ledger_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'stock movements are immutable: post a correction instead'
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER stockmovement_immutable
    BEFORE UPDATE OR DELETE ON inventory_stockmovement
    FOR EACH ROW EXECUTE FUNCTION stockwise_ledger_immutable();
"""
PG_BACKWARD = """
DROP TRIGGER IF EXISTS stockmovement_immutable ON inventory_stockmovement;
DROP FUNCTION IF EXISTS stockwise_ledger_immutable();
"""
ROLES = ["staff", "purchaser", "manager", "admin"]


def add_trigger(apps, schema_editor):
    # SQLite (the no-server default) gets the model-level guard only: its test runner empties
    # tables with DELETE, which a trigger would refuse.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_FORWARD)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_BACKWARD)


def add_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)


def drop_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.RunPython(add_trigger, drop_trigger),
        migrations.RunPython(add_roles, drop_roles),
    ]
