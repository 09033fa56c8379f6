import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from inventory.facts import FullProof, recompute


class Command(BaseCommand):
    help = (
        "The nightly job: demand, SS/ROP, status, alerts, ageing, ABC, clearance proposals. "
        "Incremental from the last run; --full rebuilds everything from the ledger and proves "
        "the incremental figures equal the rebuilt ones."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="as of the end of this day (YYYY-MM-DD); default today")
        parser.add_argument(
            "--full",
            action="store_true",
            help="rebuild the daily rollup and every figure from the ledger; exit 1 when the "
            "incremental figures differed from the rebuilt ones",
        )

    def handle(self, *args, **options):
        try:
            as_of = date.fromisoformat(options["date"]) if options["date"] else None
        except ValueError as exc:
            raise CommandError(f"--date must be YYYY-MM-DD, not {options['date']!r}") from exc
        proof = FullProof()
        started = time.perf_counter()
        timings = recompute(as_of, full=options["full"], log=self.stdout.write, proof=proof)
        # The time it took, not the sum of the steps: on two connections some ran at once.
        elapsed = time.perf_counter() - started
        beside = sum(1 for t in timings if t.side)
        self.stdout.write(
            f"Recompute done in {elapsed:.2f} s"
            + (f" ({beside} of {len(timings)} steps on a second connection)." if beside else ".")
        )
        if options["full"] and (proof.rollup_rows_wrong or proof.pairs_different):
            raise CommandError(
                f"The incremental figures were wrong: {proof.rollup_rows_wrong} rollup rows, "
                f"{len(proof.pairs_different)} pairs (rebuilt now)."
            )
