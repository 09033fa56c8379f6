"""Login lockout, session expiry and CSRF: no one gets in by guessing or forging."""

import pytest
from django.conf import settings
from django.test import Client

pytestmark = pytest.mark.django_db


def attempt(client, username, password, **extra):
    return client.post("/login/", {"username": username, "password": password}, **extra)


def test_five_wrong_passwords_lock_the_login_even_for_the_right_one(client, manager):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt(client, manager.username, "wrong").status_code == 200
    assert attempt(client, manager.username, "wrong").status_code == 429
    response = attempt(client, manager.username, "pw-for-tests-1")
    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()


def test_a_forged_forwarded_for_header_does_not_reset_the_count(client, manager):
    for n in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, manager.username, "wrong", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    response = attempt(
        client, manager.username, "pw-for-tests-1", HTTP_X_FORWARDED_FOR="198.51.100.7"
    )
    assert response.status_code == 429


def test_right_password_logs_in_and_a_success_resets_the_count(client, manager):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(client, manager.username, "wrong")
    assert attempt(client, manager.username, "pw-for-tests-1").status_code == 302
    client.post("/logout/")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(client, manager.username, "wrong")
    assert attempt(client, manager.username, "pw-for-tests-1").status_code == 302


def test_post_without_csrf_token_is_refused(manager, warehouse, sku):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    response = client.post(
        "/movements/new/",
        {"action": "receipt", "warehouse": "A", "sku": sku.seller_sku, "quantity": 1},
    )
    assert response.status_code == 403


def test_sessions_expire(manager):
    assert 0 < settings.SESSION_COOKIE_AGE <= 24 * 3600
    client = Client()
    client.force_login(manager)
    session = client.session
    session.set_expiry(-1)
    session.save()
    assert client.get("/skus/").status_code == 302


@pytest.mark.parametrize(
    ("groups", "superuser", "replenishment"),
    [
        (["staff"], False, 403),
        (["purchaser"], False, 200),
        (["staff", "manager"], False, 200),  # the most capable group counts
        ([], True, 200),  # a superuser is an admin without a group
        ([], False, 403),  # no role: nothing
    ],
)
def test_a_signed_in_users_role_comes_with_the_user_in_one_query(
    warehouse, groups, superuser, replenishment
):
    """The session's user is read with its role (no separate query for the groups), and the
    role decides as before."""
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import UserFactory

    user = UserFactory(is_superuser=superuser)
    user.groups.set([Group.objects.get_or_create(name=name)[0] for name in groups])
    user.warehouses.add(warehouse)
    client = Client()
    assert attempt(client, user.username, "pw-for-tests-1").status_code == 302
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/replenishment/")
    assert response.status_code == replenishment
    group_reads = [q["sql"] for q in queries if "auth_user_groups" in q["sql"]]
    assert len(group_reads) == 1 and '"auth_user"."username"' in group_reads[0]
