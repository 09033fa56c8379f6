"""Token authentication that reads the user's role in the same query as the token.

Every API view asks `roles.role_of(user)` (RoleCapability); with DRF's TokenAuthentication that
is a second query per request (the user's groups). Here the token, its user and the user's group
names come back from one plain SQL join (one row per group), and fill the same per-user cache
`role_of` keeps. Refusals (unknown key, inactive user) are left to DRF's own code, with its
messages.
"""

from functools import cache

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from rest_framework.authentication import TokenAuthentication

from inventory.roles import role_from_groups


@cache
def _token_sql() -> tuple[str, list[str]]:
    """The join, built once from the models' own table and column names."""
    from rest_framework.authtoken.models import Token

    user_model = get_user_model()
    fields = list(user_model._meta.concrete_fields)
    through = user_model.groups.through._meta
    user_column = user_model.groups.field.m2m_column_name()
    group_column = user_model.groups.field.m2m_reverse_name()
    columns = ", ".join(f'u."{f.column}"' for f in fields)
    sql = (
        f'SELECT {columns}, t."created", g."name" '  # noqa: S608 - names from the models
        f'FROM "{Token._meta.db_table}" t '
        f'JOIN "{user_model._meta.db_table}" u ON u."id" = t."user_id" '
        f'LEFT JOIN "{through.db_table}" ug ON ug."{user_column}" = u."id" '
        f'LEFT JOIN "{Group._meta.db_table}" g ON g."id" = ug."{group_column}" '
        'WHERE t."key" = %s'
    )
    return sql, [f.attname for f in fields]


class TokenWithRoleAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key):
        sql, names = _token_sql()
        with connection.cursor() as cursor:
            cursor.execute(sql, [key])
            rows = cursor.fetchall()
        user = get_user_model().from_db("default", names, rows[0][: len(names)]) if rows else None
        if user is None or not user.is_active:
            return super().authenticate_credentials(key)  # raises AuthenticationFailed
        groups = {row[-1] for row in rows if row[-1]}
        user._stockwise_role = role_from_groups(groups, superuser=user.is_superuser)
        token = self.get_model()(key=key, user_id=user.pk, created=rows[0][len(names)])
        token.user = user
        token._state.adding = False
        return (user, token)
