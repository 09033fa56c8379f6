from django.core.management.base import BaseCommand, CommandError

from inventory.demo import seed_demo


class Command(BaseCommand):
    help = (
        "Generate a realistic TikTok seller: catalog, suppliers and days of movements "
        "(100k SKUs × 365 days ≈ 10M movements)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--skus", type=int, default=200)
        parser.add_argument("--days", type=int, default=120)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, **options):
        if options["skus"] < 1 or options["days"] < 1:
            raise CommandError("--skus and --days must be at least 1.")

        def progress(message: str) -> None:
            self.stdout.write(f"  {message}")
            self.stdout.flush()

        result = seed_demo(
            skus=options["skus"], days=options["days"], seed=options["seed"], progress=progress
        )
        self.stdout.write(
            f"Seeded {result.skus} SKUs and {result.movements} movements in {result.seconds:.1f} s."
        )
