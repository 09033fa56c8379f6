"""Session authentication that reads the user's role in the same query as the user.

Every page asks `roles.role_of(request.user)` (the menu, the view's capability); with Django's
ModelBackend that is a second query per request (the user's groups). Here the user comes back
with the rank of their most capable role group (one grouped join) and fills the same per-user
cache `role_of` keeps, as the API's token authentication does (inventory/api/auth.py).
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import Case, IntegerField, Max, Value, When

from inventory.roles import ROLE_ORDER, role_from_groups

# ROLE_ORDER[rank - 1] is the role of rank `rank`; 0 means no role group.
_ROLE_RANK = Max(
    Case(
        *(
            When(groups__name=role.value, then=Value(rank))
            for rank, role in enumerate(ROLE_ORDER, 1)
        ),
        default=Value(0),
        output_field=IntegerField(),
    )
)


class RoleModelBackend(ModelBackend):
    """ModelBackend whose `get_user` (every request with a session) also reads the role."""

    def get_user(self, user_id):
        user = (
            get_user_model()
            ._default_manager.filter(pk=user_id)
            .annotate(role_rank=_ROLE_RANK)
            .first()
        )
        if user is None or not self.user_can_authenticate(user):
            return None
        # The rank names the user's most capable role group: decided as for any group names.
        names = {ROLE_ORDER[user.role_rank - 1].value} if user.role_rank else ()
        user._stockwise_role = role_from_groups(names, superuser=user.is_superuser)
        return user
