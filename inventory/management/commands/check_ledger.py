from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from inventory.selectors import ledger_mismatches


class Command(BaseCommand):
    help = "Prove every stock balance equals the sum of its ledger movements; exit 1 otherwise."

    def handle(self, *args, **options):
        mismatches = ledger_mismatches()
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
