"""A staff member counts on a 360-px phone with the keyboard only: scan, quantity, Enter."""

import pytest

from counting.models import CountEntry, CountLine, SessionStatus
from counting.services import session_create
from inventory.models import MovementKind, StockMovement
from inventory.services import movement_post
from tests.browser.helpers import double_click, posts_of
from tests.factories import SKUFactory

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 740}


@pytest.fixture
def session(warehouse, sku):
    mug = SKUFactory(seller_sku="MUG-BLK", name="Black mug")
    movement_post(warehouse=warehouse, sku=sku, kind=MovementKind.RECEIPT, quantity=10)
    movement_post(warehouse=warehouse, sku=mug, kind=MovementKind.RECEIPT, quantity=4)
    return session_create(warehouse=warehouse, kind="cycle", skus=["TEE-RED-M", "MUG-BLK"])


def scan(page, code, quantity):
    """What a scanner and a thumb do: the code and Enter, the quantity and Enter."""
    page.keyboard.type(code)
    page.keyboard.press("Enter")
    page.keyboard.type(str(quantity))  # the quantity field comes selected: typing replaces it
    page.keyboard.press("Enter")


def feedback(page, kind="success"):
    return page.locator(f"#entry-feedback [data-kind={kind}]").inner_text()


def counted(session, seller_sku):
    return CountLine.objects.get(session=session, sku__seller_sku=seller_sku).counted_qty


def test_staff_counts_with_the_keyboard_only_on_a_phone(page, login, staff, session):
    page.set_viewport_size(PHONE)
    login(staff.username)
    page.goto(page.base_url + f"/counts/{session.pk}/enter/")
    code = page.locator("#entry-form [name=code]")
    assert page.evaluate("document.activeElement.name") == "code"  # ready for the first scan

    scan(page, "TEE-RED-M", 6)
    page.wait_for_selector("#entry-feedback :text('counted 6')")
    assert page.evaluate("document.activeElement.name") == "code"
    scan(page, "TEE-RED-M", 4)  # the same SKU again adds up
    page.wait_for_selector("#entry-feedback :text('counted 10')")
    assert "TEE-RED-M · Product" in feedback(page) and "+4 → counted 10" in feedback(page)
    assert counted(session, "TEE-RED-M") == 10

    scan(page, "MUG-BLK", 40)  # a slip of the thumb…
    page.wait_for_selector("#entry-feedback :text('counted 40')")
    page.keyboard.press("Control+z")  # …undone from the empty code field
    page.wait_for_selector("#entry-feedback [data-kind=warning]")
    assert feedback(page, "warning") == "Undone: MUG-BLK +40."
    assert counted(session, "MUG-BLK") is None
    scan(page, "MUG-BLK", 4)
    page.wait_for_selector("#entry-feedback :text('counted 4')")

    scan(page, "NO-SUCH-SKU", 1)
    page.wait_for_selector("#entry-feedback [data-kind=danger]")
    assert "Unknown code “NO-SUCH-SKU”" in feedback(page, "danger")
    assert "Nothing was recorded." in feedback(page, "danger")
    # The wrong code stays selected, so the next scan replaces it.
    assert page.evaluate("document.activeElement.name") == "code"
    assert page.evaluate("window.getSelection().toString()") == "NO-SUCH-SKU"
    assert code.input_value() == "NO-SUCH-SKU"

    assert "2 of 2 lines counted" in page.locator("#entry-panel").inner_text()
    recent = page.locator("#entry-panel .list-group-item").all_inner_texts()
    assert [r.split("\n")[0] for r in recent[:2]] == ["MUG-BLK", "MUG-BLK"]
    # Blind count: nothing on the page tells the counter what the book says.
    assert "expected" not in page.content().lower()
    # Usable on the phone: nothing sticks out sideways, the buttons are big enough to tap.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    add = page.locator("#entry-form button[type=submit]").bounding_box()
    assert add["height"] >= 44 and add["x"] + add["width"] <= PHONE["width"]

    assert counted(session, "TEE-RED-M") == 10 and counted(session, "MUG-BLK") == 4
    entries = CountEntry.objects.filter(line__session=session)
    assert entries.count() == 4 and entries.filter(undone_at__isnull=False).count() == 1
    assert not StockMovement.objects.filter(kind=MovementKind.COUNT_ADJUSTMENT).exists()


def test_holding_enter_records_a_scan_once(page, login, staff, session):
    login(staff.username)
    page.goto(page.base_url + f"/counts/{session.pk}/enter/")
    page.keyboard.type("TEE-RED-M")
    page.keyboard.press("Enter")
    page.keyboard.type("3")
    for _ in range(3):  # a bouncing key or an impatient thumb
        page.keyboard.press("Enter")
    page.wait_for_selector("#entry-feedback :text('counted 3')")
    page.wait_for_timeout(300)
    assert counted(session, "TEE-RED-M") == 3
    assert CountEntry.objects.filter(line__session=session).count() == 1


def test_undo_is_reachable_with_tab(page, login, staff, session):
    login(staff.username)
    page.goto(page.base_url + f"/counts/{session.pk}/enter/")
    scan(page, "TEE-RED-M", 2)
    page.wait_for_selector("#undo-form button")
    for _ in range(3):  # code → quantity → Add → Undo
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('form').id") == "undo-form"
    page.keyboard.press("Enter")
    page.wait_for_selector("#entry-feedback [data-kind=warning]")
    assert counted(session, "TEE-RED-M") is None


def test_double_clicked_submit_submits_once(page, login, staff, session):
    login(staff.username)
    page.goto(page.base_url + f"/counts/{session.pk}/enter/")
    scan(page, "TEE-RED-M", 10)
    page.wait_for_selector("#entry-feedback :text('counted 10')")
    scan(page, "MUG-BLK", 4)
    page.wait_for_selector("#entry-feedback :text('counted 4')")
    page.goto(page.base_url + f"/counts/{session.pk}/")
    # The checkbox is styled as one (Bootstrap's form-check), its label beside it.
    assert "form-check-input" in page.locator("#id_uncounted_as_zero").get_attribute("class")
    posts = posts_of(page)

    double_click(page, "main button[type=submit]:has-text('Submit counts')")

    page.wait_for_selector(".alert-success")
    assert page.locator(".alert-success").all_inner_texts() == [
        f"Count #{session.pk} is submitted for approval."
    ]
    assert not page.locator(".alert-danger").count()
    assert posts == [f"/counts/{session.pk}/submit/"]
    session.refresh_from_db()
    assert (session.status, session.submitted_by) == (SessionStatus.SUBMITTED, staff)
