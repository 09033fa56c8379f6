from django.core.management.base import BaseCommand, CommandError

from inventory.imports.base import ImportRefused
from inventory.imports.cli import raise_refused, warehouse_by_code
from inventory.imports.receipts import receipts_import


class Command(BaseCommand):
    help = "Post goods receipts from a CSV: seller_sku,quantity,unit_cost,received_at."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--warehouse", required=True, metavar="CODE")

    def handle(self, *args, **options):
        warehouse = warehouse_by_code(options["warehouse"])
        try:
            s = receipts_import(source=options["path"], warehouse=warehouse)
        except ImportRefused as exc:
            raise_refused(self, exc)
        except FileNotFoundError as exc:
            raise CommandError(f"No such file: {options['path']}") from exc
        self.stdout.write(
            f"Lines read: {s.lines_read}\nReceipts posted: {s.posted}\n"
            f"Already present: {s.already_present}"
        )
