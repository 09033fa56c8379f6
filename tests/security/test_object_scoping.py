"""Warehouse scoping, proven over every URL: a user of warehouse A gets 404 for warehouse B's
objects, on the pages and in the API, whatever the method.

Every URL pattern that takes a path parameter must be registered in tests/security/registry.py:
in SCOPED (a builder of the URL of one side's object: B's must answer 404 or 405 to every method,
A's must not answer 404) or in GLOBAL with the reason it is not scoped (and, where it shows stock,
a check that nothing of B shows). A new parametrised URL in neither fails
`test_every_parametrised_url_is_registered`: register it when you add it.
"""

import pytest
from django.test import Client
from django.urls import get_resolver
from rest_framework.test import APIClient

from tests.factories import UserFactory
from tests.security.registry import EXCLUDED_PREFIXES, GLOBAL, SCOPED, parametrised_urls, walk
from tests.security.world import build_side

pytestmark = pytest.mark.django_db


def test_every_parametrised_url_is_registered():
    found = parametrised_urls()
    unregistered = sorted(set(found) - set(SCOPED) - set(GLOBAL))
    assert unregistered == [], (
        "Register these URLs in SCOPED (a builder for an object of one warehouse) or GLOBAL "
        f"(with a reason): {[(n, found[n]) for n in unregistered]}"
    )
    stale = sorted((set(SCOPED) | set(GLOBAL)) - set(found))
    assert stale == [], f"registered but gone: {stale}"


@pytest.fixture
def sides(db):
    return build_side("wha"), build_side("zzsecretb")


@pytest.fixture
def member_of_a(sides):
    """The most capable role (admin), member of A only."""
    return UserFactory(username="admin_of_a", role="admin", warehouses=[sides[0].warehouse])


def _client(url: str, user):
    if url.startswith("/api/"):
        client = APIClient()
        client.force_authenticate(user)
        return client
    client = Client()
    client.force_login(user)
    return client


METHODS = ("get", "post", "put", "patch", "delete")


@pytest.mark.parametrize("name", sorted(SCOPED))
def test_another_warehouses_object_answers_404_to_every_method(name, sides, member_of_a):
    mine, theirs = sides
    url = SCOPED[name](theirs)
    client = _client(url, member_of_a)
    statuses = {method: getattr(client, method)(url).status_code for method in METHODS}
    assert set(statuses.values()) <= {404, 405}, f"{url}: {statuses}"
    assert 404 in statuses.values(), f"{url}: {statuses}"
    # The same URL for the user's own warehouse exists (the builder names a real object).
    own = SCOPED[name](mine)
    own_statuses = {m: getattr(client, m)(own).status_code for m in ("get", "post")}
    assert any(code not in (404, 405) for code in own_statuses.values()), f"{own}: {own_statuses}"
    assert 500 not in own_statuses.values()


@pytest.mark.parametrize("name", sorted(n for n, (_r, b) in GLOBAL.items() if b))
def test_global_pages_show_nothing_of_another_warehouse(name, sides, member_of_a):
    _mine, theirs = sides
    url = GLOBAL[name][1](theirs)
    response = _client(url, member_of_a).get(url)
    assert response.status_code == 200, url
    body = response.content.decode()
    assert theirs.warehouse.code not in body and theirs.secret not in body, url


def unparametrised_urls() -> list[str]:
    """Every URL without a path parameter: lists, reports, forms, the API roots (walked, so a
    page added later is covered without being listed here)."""
    urls = []
    for route, _name, pattern in walk(get_resolver().url_patterns):
        if route.startswith(EXCLUDED_PREFIXES) or pattern.pattern.regex.groupindex:
            continue
        urls.append("/" + route.replace("^", "").replace("$", ""))
    return sorted(set(urls))


LIST_URLS = unparametrised_urls()
CATALOG_LISTS = {"/skus/", "/api/v1/skus/", "/api/v1/suppliers/"}


def test_the_walk_finds_the_lists():
    assert {"/skus/", "/movements/", "/api/v1/stock/", "/clearance/batches/"} <= set(LIST_URLS)


@pytest.mark.parametrize("url", LIST_URLS)
def test_lists_never_show_another_warehouse_even_when_asked_for_it(url, sides, member_of_a):
    mine, theirs = sides
    client = _client(url, member_of_a)
    plain = client.get(url)
    assert plain.status_code in (200, 302, 405), (url, plain.status_code)
    for leak in (theirs.warehouse.code, theirs.secret, theirs.po_number):
        assert leak not in plain.content.decode(), (url, leak)
    asked = client.get(url, {"warehouse": theirs.warehouse.code})
    # Refused (400/404) or filtered to nothing of B; never B's rows.
    assert asked.status_code in (200, 302, 400, 404, 405), (url, asked.status_code)
    body = asked.content.decode()
    # (The code itself may be echoed back, e.g. in the language form's "next" link.)
    catalog = url in CATALOG_LISTS  # the shared catalog lists every SKU, stocked anywhere
    for leak in (theirs.secret, theirs.po_number, "" if catalog else theirs.sku.seller_sku):
        assert not leak or leak not in body, (url, leak)
