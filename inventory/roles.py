"""Roles (DOMAIN.md "Roles") as Django groups, and what each may do.

A user's role is the most capable group they are in; superusers are admins. What a role may do is
a set of capabilities, so views ask `can(user, Capability.APPROVE)`, never "is this a manager".
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    STAFF = "staff", _("Staff")
    PURCHASER = "purchaser", _("Purchaser")
    MANAGER = "manager", _("Manager")
    ADMIN = "admin", _("Admin")


class Capability(models.TextChoices):
    VIEW_STOCK = "view_stock", _("see stock")
    COUNT = "count", _("count stock")
    VIEW_ALERTS = "view_alerts", _("see alerts and suggestions")
    PURCHASE = "purchase", _("raise purchase orders and receive goods")
    APPROVE = "approve", _("approve count variances and clearance batches")
    EDIT_SKU = "edit_sku", _("edit SKU parameters")
    POST_MOVEMENTS = "post_movements", _("post adjustments and transfers")
    ADMINISTER = "administer", _("manage users and warehouses")


_C = Capability
ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    Role.STAFF: frozenset({_C.VIEW_STOCK, _C.COUNT}),
    Role.PURCHASER: frozenset({_C.VIEW_STOCK, _C.VIEW_ALERTS, _C.PURCHASE}),
    Role.MANAGER: frozenset(
        {
            _C.VIEW_STOCK,
            _C.COUNT,
            _C.VIEW_ALERTS,
            _C.PURCHASE,
            _C.APPROVE,
            _C.EDIT_SKU,
            _C.POST_MOVEMENTS,
        }
    ),
    Role.ADMIN: frozenset(Capability.values),
}
ROLE_ORDER = [Role.STAFF, Role.PURCHASER, Role.MANAGER, Role.ADMIN]


def role_of(user) -> Role | None:
    """The most capable role among the user's groups (cached on the user object)."""
    if not user.is_authenticated:
        return None
    if not hasattr(user, "_stockwise_role"):
        names = () if user.is_superuser else {g.name for g in user.groups.all()}
        user._stockwise_role = role_from_groups(names, superuser=user.is_superuser)
    return user._stockwise_role


def role_from_groups(names, *, superuser: bool) -> Role | None:
    """The most capable role among group names; a superuser is an admin without a group."""
    if superuser:
        return Role.ADMIN
    return next((r for r in reversed(ROLE_ORDER) if r.value in names), None)


def can(user, capability: str) -> bool:
    role = role_of(user)
    return role is not None and capability in ROLE_CAPABILITIES[role]
