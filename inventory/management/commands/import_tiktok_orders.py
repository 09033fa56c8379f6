from django.core.management.base import BaseCommand, CommandError

from inventory.imports.base import ImportRefused
from inventory.imports.cli import raise_refused, warehouse_by_code
from inventory.imports.tiktok import tiktok_orders_import


class Command(BaseCommand):
    help = "Import a TikTok Shop order export (CSV or XLSX): shipped lines become SALE movements."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--warehouse", required=True, metavar="CODE")

    def handle(self, *args, **options):
        warehouse = warehouse_by_code(options["warehouse"])
        try:
            s = tiktok_orders_import(source=options["path"], warehouse=warehouse)
        except ImportRefused as exc:
            raise_refused(self, exc)
        except FileNotFoundError as exc:
            raise CommandError(f"No such file: {options['path']}") from exc
        self.stdout.write(
            f"Lines read: {s.lines_read}\n"
            f"Movements posted: {s.posted} ({s.sales} sales, {s.returns} returns, "
            f"{s.reversals} cancellation reversals)\n"
            f"Already present: {s.already_present}\n"
            f"Skipped cancelled: {s.skipped_cancelled}\n"
            f"Skipped not shipped: {s.skipped_unshipped}"
        )
