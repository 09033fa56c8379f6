from inventory.roles import Capability, can, role_of


def role(request):
    """`role` and `perms_sw` (capability -> bool) for navigation by role."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "role": role_of(user),
        "perms_sw": {c.value: can(user, c) for c in Capability},
    }
