"""Pages a person uses: login, role rules, warehouse scoping, the SKU list, posting a movement."""

import pytest
from django.urls import reverse

from inventory.exports import neutralise_cell
from inventory.models import MovementKind, StockMovement
from inventory.selectors import on_hand
from inventory.services import movement_post
from tests.factories import SKUFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    ["/", "/skus/", "/movements/", "/movements/new/", "/warehouses/", "/warehouses/A/"],
)
def test_every_page_needs_login(client, warehouse, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_user_of_warehouse_a_gets_404_for_warehouse_b_objects(
    client, warehouse, other_warehouse, sku, make_user
):
    b_movement = movement_post(
        warehouse=other_warehouse, sku=sku, kind=MovementKind.RECEIPT, quantity=5
    ).movement
    a_movement = movement_post(
        warehouse=warehouse, sku=sku, kind=MovementKind.RECEIPT, quantity=3
    ).movement
    client.force_login(make_user("manager", warehouse))
    assert client.get(reverse("inventory:warehouse_detail", args=["B"])).status_code == 404
    assert client.get(reverse("inventory:movement_detail", args=[b_movement.pk])).status_code == 404
    assert client.get(reverse("inventory:movement_detail", args=[a_movement.pk])).status_code == 200
    # Lists and the SKU page show only warehouse A's stock and movements.
    page = client.get(reverse("inventory:sku_detail", args=[sku.pk])).content.decode()
    assert ">A<" in page and ">B<" not in page
    listed = client.get(reverse("inventory:movement_list")).context["table"].data
    assert [m.pk for m in listed] == [a_movement.pk]
    table = client.get(reverse("inventory:sku_list")).context["table"]
    assert [row.record.on_hand for row in table.paginated_rows] == [3]


def test_staff_may_not_post_movements(client, staff):
    client.force_login(staff)
    assert client.get(reverse("inventory:movement_post")).status_code == 403
    assert client.get(reverse("inventory:sku_list")).status_code == 200


def test_purchaser_may_post_receipts_only(client, purchaser):
    client.force_login(purchaser)
    form = client.get(reverse("inventory:movement_post")).context["form"]
    assert [value for value, _ in form.fields["action"].choices] == ["receipt"]


def test_manager_posts_a_receipt_from_the_form(client, manager, warehouse, sku):
    client.force_login(manager)
    response = client.post(
        reverse("inventory:movement_post"),
        {
            "action": "receipt",
            "warehouse": "A",
            "sku": sku.seller_sku,
            "quantity": 24,
            "unit_cost": "3.10",
            "note": "container 7",
        },
    )
    assert response.status_code == 302
    movement = StockMovement.objects.get()
    assert (movement.kind, movement.quantity, movement.user, str(movement.unit_cost)) == (
        MovementKind.RECEIPT,
        24,
        manager,
        "3.1000",
    )


def test_oversell_from_the_form_shows_the_reason_and_writes_nothing(
    client, manager, warehouse, sku
):
    movement_post(warehouse=warehouse, sku=sku, kind=MovementKind.RECEIPT, quantity=2)
    client.force_login(manager)
    response = client.post(
        reverse("inventory:movement_post"),
        {
            "action": "adjustment",
            "warehouse": "A",
            "sku": sku.seller_sku,
            "quantity": -5,
        },
    )
    assert response.status_code == 200
    assert "Not enough stock of TEE-RED-M in A: 2 on hand, 5 needed." in response.content.decode()
    assert StockMovement.objects.count() == 1
    assert on_hand(warehouse=warehouse, sku=sku) == 2


def test_transfer_form_moves_stock(client, warehouse, other_warehouse, sku, make_user):
    movement_post(warehouse=warehouse, sku=sku, kind=MovementKind.RECEIPT, quantity=9)
    client.force_login(make_user("manager", warehouse, other_warehouse))
    client.post(
        reverse("inventory:movement_post"),
        {
            "action": "transfer",
            "warehouse": "A",
            "to_warehouse": "B",
            "sku": sku.seller_sku,
            "quantity": 4,
        },
    )
    assert on_hand(warehouse=warehouse, sku=sku) == 5
    assert on_hand(warehouse=other_warehouse, sku=sku) == 4


def test_transfer_to_a_warehouse_the_user_does_not_belong_to_is_refused(
    client, manager, other_warehouse, sku
):
    client.force_login(manager)
    response = client.post(
        reverse("inventory:movement_post"),
        {
            "action": "transfer",
            "warehouse": "A",
            "to_warehouse": "B",
            "sku": sku.seller_sku,
            "quantity": 1,
        },
    )
    assert response.status_code == 200 and "to_warehouse" in response.context["form"].errors
    assert not StockMovement.objects.exists()


def test_unknown_sku_in_the_form_is_a_field_error(client, manager, warehouse):
    client.force_login(manager)
    response = client.post(
        reverse("inventory:movement_post"),
        {
            "action": "receipt",
            "warehouse": "A",
            "sku": "NOPE",
            "quantity": 1,
        },
    )
    assert "No SKU with seller SKU “NOPE”." in response.content.decode()


@pytest.mark.parametrize("per_page", [10, 50])
def test_sku_list_query_count_does_not_grow_with_page_size(
    client, manager, warehouse, django_assert_max_num_queries, per_page
):
    for s in SKUFactory.create_batch(60):
        movement_post(warehouse=warehouse, sku=s, kind=MovementKind.RECEIPT, quantity=1)
    client.force_login(manager)
    with django_assert_max_num_queries(9):
        response = client.get(reverse("inventory:sku_list"), {"per_page": per_page})
    assert len(response.context["table"].page.object_list) == per_page


def test_movement_list_query_count_is_bounded(
    client, manager, warehouse, django_assert_max_num_queries
):
    for s in SKUFactory.create_batch(40):
        movement_post(warehouse=warehouse, sku=s, kind=MovementKind.RECEIPT, quantity=2)
    client.force_login(manager)
    with django_assert_max_num_queries(9):
        response = client.get(reverse("inventory:movement_list"), {"per_page": 40})
    assert len(response.context["table"].page.object_list) == 40


def test_sku_list_filters_by_search_text(client, manager):
    SKUFactory(seller_sku="LIPSTICK-01", name="Velvet lipstick")
    SKUFactory(seller_sku="CABLE-USB-C", name="USB-C cable")
    client.force_login(manager)
    rows = client.get(reverse("inventory:sku_list"), {"q": "lipstick"}).context["table"].data
    assert [r.seller_sku for r in rows] == ["LIPSTICK-01"]


def test_csv_export_neutralises_formula_cells(client, manager):
    SKUFactory(seller_sku="SAFE-1", name='=HYPERLINK("http://evil")')
    client.force_login(manager)
    response = client.get(reverse("inventory:sku_list"), {"_export": "csv"})
    body = response.content.decode()
    assert response["Content-Type"].startswith("text/csv")
    assert "'=HYPERLINK" in body and ",=HYPERLINK" not in body


def test_neutralise_cell_keeps_negative_numbers():
    assert neutralise_cell("-3") == "-3"
    assert neutralise_cell("@SUM(A1)") == "'@SUM(A1)"
    assert neutralise_cell(5) == 5


def test_xlsx_export_downloads(client, manager, sku):
    client.force_login(manager)
    response = client.get(reverse("inventory:sku_list"), {"_export": "xlsx"})
    assert response.status_code == 200
    assert response.content[:2] == b"PK"


def test_language_switch_is_remembered(client, manager):
    client.force_login(manager)
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/skus/"})
    page = client.get(reverse("inventory:sku_list")).content.decode()
    assert 'lang="zh-hans"' in page
    assert "库存" in page or "SKU" in page


def test_logout_needs_a_post_and_ends_the_session(client, manager):
    client.force_login(manager)
    client.post(reverse("logout"))
    assert client.get("/skus/").status_code == 302


def test_admin_edits_a_users_warehouses_on_the_user_page(client, warehouse, make_user):
    admin_user = make_user("admin", warehouse)
    target = make_user("staff", warehouse)
    client.force_login(admin_user)
    page = client.get(f"/admin/auth/user/{target.pk}/change/").content.decode()
    assert "warehouse membership" in page.lower()
    listing = client.get("/admin/auth/user/").content.decode()
    assert "Staff" in listing


def test_ledger_is_read_only_in_the_admin(client, warehouse, sku, make_user):
    movement = movement_post(
        warehouse=warehouse, sku=sku, kind=MovementKind.RECEIPT, quantity=1
    ).movement
    client.force_login(make_user("admin", warehouse))
    assert client.get("/admin/inventory/stockmovement/add/").status_code == 403
    page = client.get(f"/admin/inventory/stockmovement/{movement.pk}/change/").content.decode()
    assert 'name="quantity"' not in page
    assert client.get(f"/admin/inventory/stockmovement/{movement.pk}/delete/").status_code == 403


def test_movement_list_pages_through_the_ledger_without_counting_it(
    client, make_user, warehouse, sku, django_assert_max_num_queries
):
    """The ledger grows to millions of rows: its list reads one page (and one row beyond, to
    know there is a next page), never COUNT(*) over all of it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for n in range(55):
        movement_post(warehouse=warehouse, sku=sku, kind=MovementKind.RECEIPT, quantity=n + 1)
    client.force_login(make_user("manager", warehouse))
    with CaptureQueriesContext(connection) as queries:
        first = client.get(reverse("inventory:movement_list"))
    assert not [q for q in queries if "COUNT(" in q["sql"].upper()]
    rows = [row.record.quantity for row in first.context["table"].paginated_rows]
    assert rows == list(range(55, 5, -1))  # newest first, 50 a page
    assert "page=2" in first.content.decode()
    second = client.get(reverse("inventory:movement_list"), {"page": 2})
    assert [row.record.quantity for row in second.context["table"].paginated_rows] == [
        5,
        4,
        3,
        2,
        1,
    ]
    empty = client.get(reverse("inventory:movement_list"), {"kind": "WRITE_OFF"})
    assert "Nothing matches this filter." in empty.content.decode()


def test_sku_list_pages_keep_one_order_when_values_tie(client, make_user, warehouse):
    """Sorted by a column many SKUs share (the same unit cost), page 2 continues page 1: no SKU
    shows twice, none is skipped."""
    from decimal import Decimal

    from tests.factories import SKUFactory

    made = {SKUFactory(seller_sku=f"TIE-{n:02}", unit_cost=Decimal("3.00")).pk for n in range(30)}
    client.force_login(make_user("manager", warehouse))
    seen = []
    for page in (1, 2, 3):
        response = client.get(
            reverse("inventory:sku_list"), {"sort": "-unit_cost", "per_page": 10, "page": page}
        )
        seen += [row.record.pk for row in response.context["table"].paginated_rows]
    assert sorted(seen) == sorted(made)


def test_sku_list_sorted_by_on_hand_in_a_category_pages_whole_rows_of_my_stock(
    client, make_user, warehouse, other_warehouse, django_assert_max_num_queries
):
    """The list sorts and pages SKU ids, then reads the page's SKUs whole: each row still
    shows its name, category and supplier, and on hand counts only my warehouses."""
    from tests.factories import CategoryFactory, SupplierFactory

    shoes, hats = CategoryFactory(name="Shoes"), CategoryFactory(name="Hats")
    supplier = SupplierFactory(name="Guangzhou Shoes Co")
    stock = {"SHOE-1": 7, "SHOE-2": 30, "SHOE-3": 12, "SHOE-4": 0, "SHOE-5": 21}
    for code, quantity in stock.items():
        shoe = SKUFactory(seller_sku=code, name=f"Runner {code}", category=shoes, supplier=supplier)
        if quantity:
            movement_post(
                warehouse=warehouse, sku=shoe, kind=MovementKind.RECEIPT, quantity=quantity
            )
        # Stock elsewhere, which this user may not see, must not move a SKU up the list.
        movement_post(warehouse=other_warehouse, sku=shoe, kind=MovementKind.RECEIPT, quantity=100)
    hat = SKUFactory(seller_sku="HAT-1", category=hats)
    movement_post(warehouse=warehouse, sku=hat, kind=MovementKind.RECEIPT, quantity=99)
    client.force_login(make_user("manager", warehouse))

    pages = []
    for page in (1, 2):
        with django_assert_max_num_queries(9):
            response = client.get(
                reverse("inventory:sku_list"),
                {"category": shoes.pk, "sort": "-on_hand", "per_page": 3, "page": page},
            )
        pages.append([row.record for row in response.context["table"].paginated_rows])
    assert [[r.seller_sku for r in page] for page in pages] == [
        ["SHOE-2", "SHOE-5", "SHOE-3"],
        ["SHOE-1", "SHOE-4"],
    ]
    assert [r.on_hand for page in pages for r in page] == [30, 21, 12, 7, 0]
    html = response.content.decode()
    assert "Runner SHOE-1" in html and "Shoes" in html and "Guangzhou Shoes Co" in html
