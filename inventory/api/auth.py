"""Token authentication that reads the user's role in the same query as the token.

Every API view asks `roles.role_of(user)` (RoleCapability); with DRF's TokenAuthentication that
is a second query per request (the user's groups). Here one EXISTS per role rides along with the
token lookup and fills the same per-user cache `role_of` keeps. Refusals (unknown key, inactive
user) are left to DRF's own code, with its messages.
"""

from django.contrib.auth.models import Group
from django.db.models import Exists, OuterRef
from rest_framework.authentication import TokenAuthentication

from inventory.roles import ROLE_ORDER, Role


class TokenWithRoleAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key):
        model = self.get_model()
        in_role = {
            f"in_role_{role.value}": Exists(
                Group.objects.filter(user=OuterRef("user_id"), name=role.value)
            )
            for role in ROLE_ORDER
        }
        token = model.objects.select_related("user").annotate(**in_role).filter(key=key).first()
        if token is None or not token.user.is_active:
            return super().authenticate_credentials(key)  # raises AuthenticationFailed
        user = token.user
        if user.is_superuser:
            user._stockwise_role = Role.ADMIN
        else:
            user._stockwise_role = next(
                (r for r in reversed(ROLE_ORDER) if getattr(token, f"in_role_{r.value}")), None
            )
        return (user, token)
