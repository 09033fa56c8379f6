"""Creating and updating users with a role and warehouse memberships (the `add_user` command)."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from inventory.models import Warehouse
from inventory.roles import Role


@transaction.atomic
def user_upsert(
    *,
    username: str,
    role: str,
    warehouse_codes: list[str],
    email: str = "",
    password: str | None = None,
):
    """Create the user or update an existing one: role, email, password, memberships.

    Memberships are replaced by the given warehouses, so the command states the whole truth.
    """
    if role not in Role.values:
        raise ValidationError(_("Unknown role %(role)s.") % {"role": role})
    warehouses = list(Warehouse.objects.filter(code__in=warehouse_codes))
    missing = sorted(set(warehouse_codes) - {w.code for w in warehouses})
    if missing:
        raise ValidationError(_("Unknown warehouse(s): %(codes)s.") % {"codes": ", ".join(missing)})
    User = get_user_model()
    user, created = User.objects.get_or_create(username=username)
    if created and not password:
        raise ValidationError(_("A new user needs a password."))
    if email:
        user.email = email
    if password:
        validate_password(password, user)
        user.set_password(password)
    user.is_superuser = user.is_staff = role == Role.ADMIN
    user.save()
    groups = [Group.objects.get_or_create(name=r)[0] for r in Role.values]
    user.groups.remove(*groups)
    user.groups.add(Group.objects.get(name=role))
    user.warehouses.set(warehouses)
    return user, created
