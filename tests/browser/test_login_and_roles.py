"""In a real browser: each role logs in and sees only what it may."""

import pytest

from inventory.models import MovementKind, StockBalance, StockMovement
from inventory.services import movement_post

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
    page.dblclick("main button[type=submit]")
    page.wait_for_url("**/skus/*/")
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
