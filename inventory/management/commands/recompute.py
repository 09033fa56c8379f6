from datetime import date

from django.core.management.base import BaseCommand, CommandError

from inventory.facts import recompute


class Command(BaseCommand):
    help = "The nightly job: demand, SS/ROP, status, alerts, ageing, ABC, clearance proposals."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="as of the end of this day (YYYY-MM-DD); default today")

    def handle(self, *args, **options):
        try:
            as_of = date.fromisoformat(options["date"]) if options["date"] else None
        except ValueError as exc:
            raise CommandError(f"--date must be YYYY-MM-DD, not {options['date']!r}") from exc
        timings = recompute(as_of, log=self.stdout.write)
        self.stdout.write(f"Recompute done in {sum(t.seconds for t in timings):.2f} s.")
