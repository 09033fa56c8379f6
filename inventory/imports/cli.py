"""What the import commands share: the warehouse by code and the printed refusal."""

from django.core.management.base import BaseCommand, CommandError

from inventory.imports.base import ImportRefused
from inventory.models import Warehouse


def warehouse_by_code(code: str) -> Warehouse:
    try:
        return Warehouse.objects.get(code=code)
    except Warehouse.DoesNotExist:
        raise CommandError(f"No warehouse with code {code!r}.") from None


def raise_refused(command: BaseCommand, exc: ImportRefused):
    """Print every row error to stderr, then exit 1: the file was refused, nothing written."""
    for error in exc.errors:
        command.stderr.write(str(error))
    more = exc.total - len(exc.errors)
    if more:
        command.stderr.write(f"… and {more} more.")
    raise CommandError(
        f"File refused ({exc.total} problem(s)); nothing was written.", returncode=1
    ) from exc
