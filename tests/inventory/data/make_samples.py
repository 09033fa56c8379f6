"""Writes the golden TikTok export samples next to this file (run once; the files are committed).

    /work/main/.venv/bin/python tests/inventory/data/make_samples.py

Built from the facts in DOMAIN.md "TikTok Shop order exports": header, then a description row,
Order ID / SKU ID / Package ID / the `… Time` cells ending with a tab (an empty one a lone tab),
19-digit SKU IDs, US AM/PM month-first times, SEA 24-hour day-first times, Excel serial dates.
"""

import csv
import io
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).parent

US_HEADER = (  # noqa: SIM905 - the header as a spreadsheet shows it
    "Order ID,Order Status,Order Substatus,Cancelation/Return Type,Normal or Pre-order,SKU ID,"
    "Seller SKU,Product Name,Variation,Quantity,Sku Quantity of return,SKU Unit Original Price,"
    "SKU Subtotal Before Discount,SKU Platform Discount,SKU Seller Discount,"
    "SKU Subtotal After Discount,Shipping Fee After Discount,Original Shipping Fee,"
    "Shipping Fee Seller Discount,Shipping Fee Platform Discount,Payment platform discount,Taxes,"
    "Small Order Fee,Order Amount,Order Refund Amount,Created Time,Paid Time,RTS Time,"
    "Shipped Time,Delivered Time,Cancelled Time,Cancel By,Cancel Reason,Fulfillment Type,"
    "Warehouse Name,Tracking ID,Delivery Option,Shipping Provider Name,Buyer Message,"
    "Buyer Username,Recipient,Phone #,Zipcode,Country,State,County,City,Districts,Street Name,"
    "House Name or Number,Address Line 2,Delivery Instruction,Payment Method,Weight(kg),"
    "Product Category,Package ID,Seller Note,Checked Status"
).split(",")
assert len(US_HEADER) == 58, len(US_HEADER)

# Indonesia: 65 columns, a different order (SKU columns near the end), 24-hour day-first times.
ID_HEADER = (  # noqa: SIM905
    "Order ID,Order Status,Order Substatus,Cancelation/Return Type,Normal or Pre-order,"
    "Shipping Fee After Discount,Original Shipping Fee,Shipping Fee Seller Discount,"
    "Shipping Fee Platform Discount,Payment platform discount,Taxes,Order Amount,"
    "Order Refund Amount,Created Time,Paid Time,RTS Time,Shipped Time,Delivered Time,"
    "Cancelled Time,Cancel By,Cancel Reason,Fulfillment Type,Warehouse Name,Tracking ID,"
    "Delivery Option,Shipping Provider Name,Buyer Message,Buyer Username,Recipient,Phone #,"
    "Zipcode,Country,Province,Regency and City,Districts,Villages,Detail Address,"
    "Additional address information,Payment Method,Product Category,Package ID,Seller Note,"
    "Checked Status,Checked Marked by,SKU ID,Seller SKU,Product Name,Variation,Quantity,"
    "Sku Quantity of return,SKU Unit Original Price,SKU Subtotal Before Discount,"
    "SKU Platform Discount,SKU Seller Discount,SKU Subtotal After Discount,Buyer Service Fee,"
    "Handling Fee,Shipping Insurance,Item Insurance,Weight(kg),Dynamic Commission,"
    "Bonus Cashback Service Fee,Voucher Xtra Service Fee,LIVE Specials Service Fee,"
    "Seller Fulfillment Fee"
).split(",")
assert len(ID_HEADER) == 65, len(ID_HEADER)

DESCRIPTIONS = {
    "Order ID": "Platform unique order ID.",
    "Order Status": "Current order status.",
    "SKU ID": "Platform unique SKU ID.",
    "Seller SKU": "SKU ID set by the seller.",
    "Quantity": "SKU sold quantity in the order.",
    "Sku Quantity of return": "SKU returned quantity in the order.",
}
TABBED = {"Order ID", "SKU ID", "Package ID"}


def _row(header, values: dict) -> list[str]:
    out = []
    for name in header:
        value = values.get(name, "")
        if name in TABBED or name.endswith(" Time"):
            value = f"{value}\t"  # a lone tab when empty
        out.append(value)
    return out


def _csv(header, rows, *, bom: bool) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerow([DESCRIPTIONS.get(name, "") for name in header])
    for values in rows:
        writer.writerow(_row(header, values))
    return (("\ufeff" if bom else "") + buffer.getvalue()).encode("utf-8")


US_ROWS = [
    # row 3: shipped, two units -> SALE -2 at 17:30:33 UTC
    {
        "Order ID": "576461413038785752",
        "Order Status": "Shipped",
        "SKU ID": "1729382256910270001",
        "Seller SKU": "TEE-RED-M",
        "Product Name": "Tee, red",
        "Variation": "Red, M",
        "Quantity": "2",
        "Sku Quantity of return": "0",
        "Created Time": "12/14/2025 8:01:10 PM",
        "Paid Time": "12/14/2025 8:01:40 PM",
        "Shipped Time": "12/15/2025 9:30:33 AM",
        "Warehouse Name": "LA main",
        "Package ID": "1153132251402359296",
        "Order Amount": "41.98",
    },
    # row 4: the same order, a second SKU
    {
        "Order ID": "576461413038785752",
        "Order Status": "Shipped",
        "SKU ID": "1729382256910270002",
        "Seller SKU": "MUG-BLK",
        "Product Name": "Mug, black",
        "Quantity": "1",
        "Sku Quantity of return": "0",
        "Created Time": "12/14/2025 8:01:10 PM",
        "Shipped Time": "12/15/2025 9:30:33 AM",
        "Warehouse Name": "LA main",
        "Order Amount": "41.98",
    },
    # row 5: cancelled before shipping -> skipped
    {
        "Order ID": "576461413038785753",
        "Order Status": "Cancelled",
        "SKU ID": "1729382256910270001",
        "Seller SKU": "TEE-RED-M",
        "Quantity": "1",
        "Sku Quantity of return": "0",
        "Created Time": "12/15/2025 9:02:00 AM",
        "Cancelled Time": "12/15/2025 10:00:00 AM",
        "Cancel By": "User",
        "Cancel Reason": "No longer needed",
        "Warehouse Name": "LA main",
    },
    # row 6: awaiting shipment -> skipped, and its unknown SKU does not matter
    {
        "Order ID": "576461413038785754",
        "Order Status": "Awaiting shipment",
        "SKU ID": "1729382256999999999",
        "Seller SKU": "NOT-IN-CATALOG",
        "Quantity": "1",
        "Sku Quantity of return": "",
        "Created Time": "12/16/2025 11:59:59 PM",
        "Warehouse Name": "LA main",
    },
    # row 7: blank Seller SKU (matched by SKU ID), 3 sold, 1 returned; a two-line buyer message
    {
        "Order ID": "576461413038785755",
        "Order Status": "Completed",
        "SKU ID": "1729382256910270003",
        "Seller SKU": "",
        "Product Name": "Cap, navy",
        "Quantity": "3",
        "Sku Quantity of return": "1",
        "Created Time": "12/16/2025 8:00:00 AM",
        "Shipped Time": "12/16/2025 12:05:00 PM",
        "Delivered Time": "12/18/2025 3:15:42 PM",
        "Warehouse Name": "LA main",
        "Buyer Message": "Please\nleave at the door",
    },
    # row 8: shipped at 12:00:01 AM -> 08:00:01 UTC the same day
    {
        "Order ID": "576461413038785756",
        "Order Status": "Delivered",
        "SKU ID": "1729382256910270001",
        "Seller SKU": "TEE-RED-M",
        "Quantity": "1",
        "Sku Quantity of return": "0",
        "Created Time": "12/15/2025 11:00:00 PM",
        "Shipped Time": "12/16/2025 12:00:01 AM",
        "Delivered Time": "12/17/2025 1:00:00 PM",
        "Warehouse Name": "LA main",
    },
]

ID_ROWS = [
    # row 3: 25/12/2025 13:03:57 in Asia/Bangkok (UTC+7) -> 06:03:57 UTC
    {
        "Order ID": "580012345678901234",
        "Order Status": "Selesai",
        "SKU ID": "1729382256910270001",
        "Seller SKU": "TEE-RED-M",
        "Quantity": "4",
        "Sku Quantity of return": "0",
        "Created Time": "24/12/2025 21:10:00",
        "Shipped Time": "25/12/2025 13:03:57",
        "Delivered Time": "27/12/2025 10:00:00",
        "Warehouse Name": "Gudang Jakarta",
        "Province": "DKI Jakarta",
    },
    # row 4: day first: 03/01/2026 is the 3rd of January -> 01:15:00 UTC
    {
        "Order ID": "580012345678901235",
        "Order Status": "Dikirim",
        "SKU ID": "1729382256910270002",
        "Seller SKU": "MUG-BLK",
        "Quantity": "1",
        "Sku Quantity of return": "",
        "Created Time": "02/01/2026 18:00:00",
        "Shipped Time": "03/01/2026 08:15:00",
        "Warehouse Name": "Gudang Jakarta",
    },
    # row 5: cancelled (status in Indonesian and a Cancelled Time) -> skipped
    {
        "Order ID": "580012345678901236",
        "Order Status": "Dibatalkan",
        "SKU ID": "1729382256910270001",
        "Seller SKU": "TEE-RED-M",
        "Quantity": "2",
        "Sku Quantity of return": "0",
        "Created Time": "04/01/2026 09:00:00",
        "Cancelled Time": "04/01/2026 09:30:00",
        "Warehouse Name": "Gudang Jakarta",
    },
]


def _serial(when: datetime) -> float:
    return (when - datetime(1899, 12, 30)).total_seconds() / 86400


def write_xlsx(path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "OrderSKUList"
    header = US_HEADER
    sheet.append(header)
    sheet.append([DESCRIPTIONS.get(name, "") for name in header])
    rows = [
        # row 3: Shipped Time as a date-formatted cell (openpyxl reads a datetime)
        {
            "Order ID": "576461413038785801",
            "Order Status": "Shipped",
            "SKU ID": "1729382256910270001",
            "Seller SKU": "TEE-RED-M",
            "Quantity": 2,
            "Sku Quantity of return": 0,
            "Created Time": datetime(2025, 12, 15, 9, 0, 0),
            "Shipped Time": datetime(2025, 12, 15, 9, 30, 33),
            "Warehouse Name": "LA main",
        },
        # row 4: Shipped Time as a bare Excel serial number (no date format)
        {
            "Order ID": "576461413038785802",
            "Order Status": "Delivered",
            "SKU ID": "1729382256910270002",
            "Seller SKU": "MUG-BLK",
            "Quantity": 1,
            "Sku Quantity of return": None,
            "Created Time": _serial(datetime(2025, 12, 16, 7, 0, 0)),
            "Shipped Time": _serial(datetime(2025, 12, 16, 14, 45, 10)),
            "Warehouse Name": "LA main",
        },
        # row 5: text times with tabs, as in the CSV
        {
            "Order ID": "576461413038785803\t",
            "Order Status": "Awaiting collection",
            "SKU ID": "1729382256910270003\t",
            "Seller SKU": "CAP-NVY",
            "Quantity": "1",
            "Sku Quantity of return": "0",
            "Created Time": "12/16/2025 9:00:00 AM\t",
            "Shipped Time": "\t",
            "Warehouse Name": "LA main",
        },
    ]
    for values in rows:
        sheet.append([values.get(name) for name in header])
    for cell in sheet[3]:
        if isinstance(cell.value, datetime):
            cell.number_format = "mm/dd/yyyy hh:mm:ss"
    workbook.save(path)


if __name__ == "__main__":
    (HERE / "tiktok_us.csv").write_bytes(_csv(US_HEADER, US_ROWS, bom=True))
    (HERE / "tiktok_id.csv").write_bytes(_csv(ID_HEADER, ID_ROWS, bom=False))
    write_xlsx(HERE / "tiktok_us.xlsx")
