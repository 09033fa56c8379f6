from django.core.management.base import BaseCommand

from inventory.demo import seed_demo


class Command(BaseCommand):
    help = "Generate a realistic TikTok seller: catalog, suppliers and days of movements."

    def add_arguments(self, parser):
        parser.add_argument("--skus", type=int, default=200)
        parser.add_argument("--days", type=int, default=120)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, **options):
        def progress(done, total):
            self.stdout.write(f"\r  {done}/{total} SKUs", ending="")
            self.stdout.flush()

        result = seed_demo(
            skus=options["skus"], days=options["days"], seed=options["seed"], progress=progress
        )
        self.stdout.write(f"\nSeeded {result.skus} SKUs and {result.movements} movements.")
