from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from inventory.notices import ledger_check_record


class Command(BaseCommand):
    help = (
        "Prove every stock balance equals the sum of its ledger movements; exit 1 otherwise "
        "(the nightly task runs the same check; a mismatch opens an admin notice)."
    )

    def handle(self, *args, **options):
        mismatches = ledger_check_record()
        if not mismatches:
            self.stdout.write(
                self.style.SUCCESS(_("Ledger OK: every balance equals its movements."))
            )
            return
        for m in mismatches:
            self.stdout.write(
                f"{m.warehouse_code}\t{m.seller_sku}\tbalance={m.balance}\tledger={m.ledger_sum}"
            )
        raise CommandError(
            _("%(n)d balance(s) differ from the ledger.") % {"n": len(mismatches)}, returncode=1
        )
