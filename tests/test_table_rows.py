"""Every list page's rows, rendered in Python by `{% table_body %}`, are the HTML that
django-tables2's own bootstrap 5 template renders (whitespace aside), in both languages."""

import itertools
import re
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone, translation

from alerts.services import alerts_sync
from clearance import services as clearance_services
from counting.models import CountSession
from inventory.facts import recompute
from inventory.models import MovementKind
from inventory.purchasing.services import OrderLine, purchase_order_create
from tests.alerts.conftest import plan
from tests.clearance.conftest import post
from tests.factories import SKUFactory, SupplierFactory

pytestmark = pytest.mark.django_db

LISTS = [
    "inventory:sku_list",
    "inventory:movement_list",
    "inventory:warehouse_list",
    "inventory:po_list",
    "alerts:replenishment",
    "alerts:alert_list",
    "alerts:ad_advice",
    "clearance:ageing_report",
    "clearance:slow_movers",
    "clearance:at_risk",
    "clearance:batch_list",
    "counting:session_list",
]
LIBRARY = Template(
    "{% load django_tables2 %}{% render_table table 'django_tables2/bootstrap5-responsive.html' %}"
)
OURS = Template("{% load django_tables2 %}{% render_table table %}")


def normalised(html: str) -> str:
    html = re.sub(r'(name="csrfmiddlewaretoken" value=)"[^"]+"', r"\1", html)  # masked anew
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", html)).strip()


@pytest.fixture
def trading(warehouse, manager):
    supplier = SupplierFactory(lead_time_days=10, logistics_days=5)
    skus = [
        SKUFactory(seller_sku=f"ROW-{n}", unit_cost=Decimal("2.50"), supplier=supplier)
        for n in range(4)
    ]
    for n, sku in enumerate(skus):
        post(warehouse, sku, MovementKind.RECEIPT, 10 + n, days_ago=60 + n)
        if n % 2:
            post(warehouse, sku, MovementKind.SALE, -(n + 2), days_ago=n)
    recompute(timezone.localdate())
    clearance_services.batch_propose(warehouse=warehouse, user=manager)
    plan(warehouse, skus[0], 5)  # 10 units at 5 a day: an alert
    alerts_sync()
    purchase_order_create(
        supplier=supplier, warehouse=warehouse, lines=[OrderLine(sku=skus[0], quantity=40)]
    )
    CountSession.objects.create(warehouse=warehouse, kind="cycle")
    return skus


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("name", LISTS)
@pytest.mark.parametrize(
    "query",
    [{}, {"per_page": 1, "page": 2, "x": "R&D <b>"}],
    ids=["first page", "page 2 of 1-row pages"],  # the second: header and page links in play
)
def test_rows_are_the_html_of_the_library_template(client, manager, trading, name, language, query):
    client.force_login(manager)
    response = client.get(reverse(name), query, HTTP_ACCEPT_LANGUAGE=language)
    if response.status_code == 404 and query:  # a list of one row has no page 2
        response = client.get(reverse(name), {**query, "page": 1}, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    table = response.context["table"]
    assert list(table.paginated_rows), f"{name} shows no rows to compare"
    with translation.override(language):
        context = Context({"table": table, "request": response.wsgi_request})
        table._counter = itertools.count()  # rows alternate even/odd from the table's counter
        ours = normalised(OURS.render(context))
        table._counter = itertools.count()
        assert ours == normalised(LIBRARY.render(context))


@pytest.mark.parametrize("thousands", [False, True])
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_numbers_in_cells_read_as_django_localises_them(settings, language, thousands):
    """The row renderer reads the separators once a page; every number still comes out as
    `{{ value }}` shows it, with and without thousands separators."""
    from django.utils.formats import localize

    from inventory.templatetags.stockwise_tables import _Numbers

    settings.USE_THOUSAND_SEPARATOR = thousands
    values = [0, 7, -12, 1234, -98765, 1234567, Decimal("0.00"), Decimal("1234.50")]
    values += [Decimal("-1234567.891"), 0.5, 1234.25, -0.75]
    with translation.override(language):
        numbers = _Numbers()
        assert [numbers.format(v) for v in values] == [localize(v) for v in values]


@pytest.mark.parametrize("name", ["alerts:alert_list", "inventory:movement_list"])
def test_date_cells_are_the_library_template_in_the_active_time_zone(
    client, manager, trading, name
):
    """Date and time columns are rendered without their template: in local time, as the
    template's `date` filter shows them (Bangkok is 7 hours off the server's UTC)."""
    client.force_login(manager)
    with timezone.override("Asia/Bangkok"):
        response = client.get(reverse(name))
        table = response.context["table"]
        context = Context({"table": table, "request": response.wsgi_request})
        table._counter = itertools.count()
        ours = normalised(OURS.render(context))
        table._counter = itertools.count()
        assert ours == normalised(LIBRARY.render(context))


@pytest.mark.parametrize(
    "row_attrs",
    [{"class": "shaded"}, {"class": "shaded", "data-name": lambda record: record["name"]}],
    ids=["static row attributes", "per-record row attributes"],
)
def test_row_attributes_are_the_library_template(rf, row_attrs):
    """Built once a page when only the row's parity changes them, else for every row."""
    import django_tables2 as tables

    class Rows(tables.Table):
        name = tables.Column()

    rows = [{"name": f"<row {n}>"} for n in range(3)]
    table = Rows(rows, row_attrs=row_attrs)
    context = Context({"table": table, "request": rf.get("/")})
    table._counter = itertools.count()
    ours = normalised(OURS.render(context))
    table._counter = itertools.count()
    assert ours == normalised(LIBRARY.render(context))
    assert ours.count("shaded even") == 2 and ours.count("shaded odd") == 1


def test_links_and_yes_no_cells_are_the_library_template(rf):
    """Links made without the library's attribute dict, and yes/no cells made once a page,
    give its HTML, including a link to nowhere (none, or an empty href) and an escaped URL."""
    import django_tables2 as tables

    class Rows(tables.Table):
        name = tables.Column(linkify=lambda record: record["url"])
        shown = tables.BooleanColumn()
        maybe = tables.BooleanColumn(null=True)

    rows = [
        {"name": "<a>", "url": "/x/?a=1&b=<2>", "shown": True, "maybe": None},
        {"name": "none", "url": None, "shown": False, "maybe": True},
        {"name": "empty", "url": "", "shown": 1, "maybe": 0},
    ]
    table = Rows(rows)
    context = Context({"table": table, "request": rf.get("/")})
    table._counter = itertools.count()
    ours = normalised(OURS.render(context))
    table._counter = itertools.count()
    assert ours == normalised(LIBRARY.render(context))
    assert 'href="/x/?a=1&amp;b=&lt;2&gt;"' in ours
