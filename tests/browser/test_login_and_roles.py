"""In a real browser: each role logs in and sees only what it may."""

import pytest

from inventory.models import MovementKind, StockBalance, StockMovement
from inventory.services import movement_post
from tests.browser.helpers import double_click, posts_of

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_staff_logs_in_and_sees_stock_but_no_posting(page, login, warehouse, sku, staff):
    movement_post(warehouse=warehouse, sku=sku, kind=MovementKind.RECEIPT, quantity=7)
    login(staff.username)
    nav = page.locator("nav").inner_text()
    assert "SKUs" in nav and "Post movement" not in nav and "Admin" not in nav
    page.click("text=SKUs")
    assert page.locator("td", has_text="TEE-RED-M").count() == 1
    response = page.goto(page.base_url + "/movements/new/")
    assert response.status == 403


def test_manager_posts_a_receipt_and_a_double_click_posts_once(
    page, login, warehouse, sku, manager
):
    login(manager.username)
    page.goto(page.base_url + "/movements/new/")
    page.select_option("#id_action", "receipt")
    page.select_option("#id_warehouse", "A")
    page.fill("#id_sku", "TEE-RED-M")
    page.fill("#id_quantity", "12")
    posts = posts_of(page)
    double_click(page, "main button[type=submit]")
    page.wait_for_url("**/skus/*/")
    assert posts == ["/movements/new/"]
    assert "Posted: Receipt +12 of TEE-RED-M in A." in page.locator(".alert-success").inner_text()
    assert StockMovement.objects.count() == 1
    assert StockBalance.objects.get().on_hand == 12


def test_bad_login_shows_an_error(page, staff):
    page.goto(page.base_url + "/login/")
    page.fill("#id_username", staff.username)
    page.fill("#id_password", "wrong-password")
    page.click("main button[type=submit]")
    assert "didn't match" in page.locator(".alert-danger").inner_text()


def test_language_switch_to_chinese(page, login, manager):
    login(manager.username)
    with page.expect_navigation():
        page.select_option("select[name=language]", "zh-hans")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert "退出" in page.locator("nav").inner_text()


# What each role finds in the menus and which pages answer (200) or refuse (403).
MENU = {
    "staff": {"SKUs", "Counts", "Stock", "Clearance"},
    "purchaser": {"SKUs", "Stock", "Replenishment", "Clearance"},
    "manager": {"SKUs", "Counts", "Stock", "Replenishment", "Clearance"},
    "admin": {"SKUs", "Counts", "Stock", "Replenishment", "Clearance", "Admin"},
}
ALL_MENUS = set().union(*MENU.values())
PAGES = {
    "/skus/": {"staff", "purchaser", "manager", "admin"},
    "/counts/": {"staff", "manager", "admin"},
    "/replenishment/": {"purchaser", "manager", "admin"},
    "/alerts/": {"purchaser", "manager", "admin"},
    "/purchase-orders/": {"purchaser", "manager", "admin"},
    "/movements/new/": {"purchaser", "manager", "admin"},
    "/imports/": {"purchaser", "manager", "admin"},
    "/clearance/batches/": {"staff", "purchaser", "manager", "admin"},
    "/counts/accuracy/": {"manager", "admin"},
}
TILES = {
    "staff": ({"Stock value", "Counts in progress"}, {"Open stock alerts"}),
    "purchaser": ({"Stock value", "Open stock alerts"}, {"Counts in progress"}),
    "manager": ({"Open stock alerts", "Counts in progress"}, set()),
    "admin": ({"Open stock alerts", "Counts in progress"}, set()),
}


@pytest.mark.parametrize("role", ["staff", "purchaser", "manager", "admin"])
def test_each_role_sees_only_what_it_may(
    page, login, role, make_user, warehouse, other_warehouse, sku
):
    from counting.services import session_create

    movement_post(warehouse=warehouse, sku=sku, kind=MovementKind.RECEIPT, quantity=5)
    elsewhere = session_create(warehouse=other_warehouse, kind="cycle", skus=[sku.seller_sku])
    user = make_user(role, warehouse)

    login(user.username)

    menus = {
        text.strip()
        for text in page.locator("#nav > ul > li > a").all_inner_texts()
        if text.strip()
    }
    assert menus == MENU[role]
    assert not (ALL_MENUS - MENU[role]) & menus
    assert f"{user.username} · {role.capitalize()}" in page.locator("nav").inner_text()
    tiles = set(page.locator("[data-tile]").evaluate_all("els => els.map(e => e.dataset.tile)"))
    shown, hidden = TILES[role]
    assert shown <= tiles and not hidden & tiles
    for path, allowed in PAGES.items():
        status = page.request.get(page.base_url + path).status
        assert status == (200 if role in allowed else 403), path
    # Another warehouse's objects do not exist for them, whatever the role.
    assert page.goto(page.base_url + "/warehouses/B/").status == 404
    count_elsewhere = page.goto(page.base_url + f"/counts/{elsewhere.pk}/").status
    assert count_elsewhere == (403 if role == "purchaser" else 404)
    page.goto(page.base_url + "/skus/")
    assert "B" not in page.locator("main table tbody").inner_text().split()
