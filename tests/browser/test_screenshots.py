"""Screenshots of the demo for the README: the dashboard, the count page on a phone, the
replenishment list. CI keeps them with the artefacts (test-artifacts/screenshots/);
`make screenshots` writes them to docs/screenshots/ instead (STOCKWISE_SCREENSHOTS)."""

import os
from pathlib import Path

import pytest

from counting.services import session_create
from inventory.demo import seed_demo
from inventory.facts import recompute
from inventory.management.commands.setup_demo import DEMO_PASSWORD, DEMO_USERS
from inventory.models import SKU, Warehouse
from inventory.users import user_upsert
from tests.browser.conftest import ARTIFACTS

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("STOCKWISE_SCREENSHOTS") or ARTIFACTS / "screenshots")
MAX_BYTES = 300_000


@pytest.fixture
def demo():
    """`make run`'s demo seller, smaller: 120 SKUs, 120 days, recomputed, one user per role."""
    seed_demo(skus=120, days=120, seed=1)
    recompute()
    for username, role, codes in DEMO_USERS:
        user_upsert(
            username=username,
            role=role,
            warehouse_codes=codes,
            email=f"{username}@example.com",
            password=DEMO_PASSWORD,
        )


def shoot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / name
    page.screenshot(path=str(path))  # the viewport: what a person sees first
    assert path.stat().st_size < MAX_BYTES, f"{name} is {path.stat().st_size} bytes"
    return path


def test_screenshots_of_dashboard_count_page_and_replenishment(page, login, browser, demo):
    login("manager", DEMO_PASSWORD)
    page.set_viewport_size({"width": 1280, "height": 1000})
    page.wait_for_selector("#turnover-trend")  # the trend chart loads after the page
    page.wait_for_timeout(1200)  # Chart.js finishes its entry animation
    tiles = page.locator("[data-tile]")
    assert tiles.count() >= 10
    assert "Getting started" not in page.locator("main").inner_text()
    shoot(page, "dashboard.png")

    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(page.base_url + "/replenishment/?warehouse=MAIN")
    table = page.locator("main table")
    assert table.locator("tbody tr").count() > 10
    # The whole table fits a 1440-px screen: no column hidden behind a sideways scroll.
    assert page.evaluate("document.querySelector('main .table-responsive').scrollWidth") <= 1440
    shoot(page, "replenishment.png")

    main = Warehouse.objects.get(code="MAIN")
    codes = list(
        SKU.objects.filter(balances__warehouse=main, balances__on_hand__gt=0)
        .order_by("seller_sku")
        .values_list("seller_sku", flat=True)[:6]
    )
    session = session_create(warehouse=main, kind="cycle", skus=codes)
    phone = browser.new_context(
        viewport={"width": 360, "height": 740}, device_scale_factor=2, locale="en-US"
    )
    try:
        counter = phone.new_page()
        counter.set_default_timeout(10_000)
        counter.goto(page.base_url + "/login/")
        counter.fill("#id_username", "staff")
        counter.fill("#id_password", DEMO_PASSWORD)
        counter.click("main button[type=submit]")
        counter.wait_for_url(page.base_url + "/")
        counter.goto(page.base_url + f"/counts/{session.pk}/enter/")
        for code, qty in ((codes[0], 12), (codes[1], 3), (codes[0], 2)):
            counter.keyboard.type(code)
            counter.keyboard.press("Enter")
            counter.keyboard.type(str(qty))
            counter.keyboard.press("Enter")
            counter.wait_for_selector(f"#entry-feedback :text('{code}')")
            counter.wait_for_timeout(150)
        counter.wait_for_selector("#entry-feedback :text('counted 14')")
        assert counter.evaluate("document.documentElement.scrollWidth") <= 360
        shoot(counter, "count-entry.png")
    finally:
        phone.close()
