from django.core.management import call_command
from django.core.management.base import BaseCommand

from inventory.models import SKU
from inventory.users import user_upsert

DEMO_USERS = [
    ("admin", "admin", ["MAIN", "BKK"]),
    ("manager", "manager", ["MAIN", "BKK"]),
    ("purchaser", "purchaser", ["MAIN", "BKK"]),
    ("staff", "staff", ["MAIN"]),
    ("staff_bkk", "staff", ["BKK"]),
]
DEMO_PASSWORD = "stockwise-demo"  # noqa: S105 - printed on purpose: local demo only


class Command(BaseCommand):
    help = "For `make run`: demo data (once) and one demo user per role, with printed credentials."

    def handle(self, *args, **options):
        if not SKU.objects.exists():
            call_command("seed_demo", skus=200, days=120, seed=1, stdout=self.stdout)
            # The figures every page shows (demand, SS/ROP, alerts, ageing, ABC) come from the
            # nightly job: run it once so the demo has them on the first visit.
            call_command("recompute", stdout=self.stdout)
        self.stdout.write(f"\nDemo users (password for all: {DEMO_PASSWORD}):")
        for username, role, codes in DEMO_USERS:
            user_upsert(
                username=username,
                role=role,
                warehouse_codes=codes,
                email=f"{username}@example.com",
                password=DEMO_PASSWORD,
            )
            self.stdout.write(f"  {username:<10} {role:<10} {', '.join(codes)}")
        self.stdout.write("Open http://127.0.0.1:8000/ and log in.\n")
