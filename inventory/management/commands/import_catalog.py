from django.core.management.base import BaseCommand, CommandError

from inventory.imports.base import ImportRefused
from inventory.imports.catalog import catalog_import
from inventory.imports.cli import raise_refused


class Command(BaseCommand):
    help = "Create or update SKUs from a catalog CSV or a Seller Center product export (XLSX)."

    def add_arguments(self, parser):
        parser.add_argument("path")

    def handle(self, *args, **options):
        try:
            s = catalog_import(source=options["path"])
        except ImportRefused as exc:
            raise_refused(self, exc)
        except FileNotFoundError as exc:
            raise CommandError(f"No such file: {options['path']}") from exc
        self.stdout.write(
            f"Lines read: {s.lines_read}\nSKUs created: {s.created}\nSKUs updated: {s.updated}\n"
            f"Categories created: {s.categories_created}\nSuppliers created: {s.suppliers_created}"
        )
