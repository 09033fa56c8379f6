from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from inventory.roles import Role
from inventory.users import user_upsert


class Command(BaseCommand):
    help = "Create or update a user with a role and the warehouses they belong to."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument(
            "--warehouse",
            action="append",
            default=[],
            dest="warehouses",
            metavar="CODE",
            help="repeat for several warehouses",
        )
        parser.add_argument("--email", default="")
        parser.add_argument("--password", default=None)

    def handle(self, *args, **options):
        try:
            user, created = user_upsert(
                username=options["username"],
                role=options["role"],
                warehouse_codes=options["warehouses"],
                email=options["email"],
                password=options["password"],
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        verb = "Created" if created else "Updated"
        codes = ", ".join(sorted(w.code for w in user.warehouses.all())) or "-"
        self.stdout.write(f"{verb} {user.username} ({options['role']}) in {codes}")
