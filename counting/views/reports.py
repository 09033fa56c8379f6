"""Accuracy over time (IRA per warehouse and class, with a chart) and a SKU's count history."""

from collections import defaultdict
from datetime import date

from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django_tables2 import RequestConfig

from counting import selectors
from counting.forms import AccuracyFilterForm
from counting.tables import HistoryTable
from inventory.models import SKU
from inventory.permissions import capability_required
from inventory.roles import Capability, can

CLASSES = ("A", "B", "C")


def _months_back(today: date, months: int) -> list[str]:
    """'YYYY-MM' labels of the last `months` months, oldest first, this month included."""
    labels = []
    year, month = today.year, today.month
    for _i in range(months):
        labels.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return labels[::-1]


def _pct(within: int, lines: int) -> float | None:
    return round(100 * within / lines, 1) if lines else None


def accuracy_report(rows: list[dict], labels: list[str]) -> dict:
    """Chart series (IRA % per month per class and overall) and totals per warehouse x class."""
    monthly = defaultdict(lambda: [0, 0])
    totals = defaultdict(lambda: [0, 0])
    for row in rows:
        label = row["month"].strftime("%Y-%m")
        for key in ((label, row["abc_class"]), (label, "all")):
            monthly[key][0] += row["lines"]
            monthly[key][1] += row["within"]
        for key in ((row["warehouse_code"], row["abc_class"]), (row["warehouse_code"], "all")):
            totals[key][0] += row["lines"]
            totals[key][1] += row["within"]
    series = {
        cls: [_pct(monthly[(m, cls)][1], monthly[(m, cls)][0]) for m in labels]
        for cls in (*CLASSES, "all")
    }
    warehouses = sorted({code for code, _cls in totals})
    table = [
        {
            "warehouse": code,
            "cells": [
                {
                    "lines": totals[(code, cls)][0],
                    "ira": _pct(totals[(code, cls)][1], totals[(code, cls)][0]),
                }
                for cls in (*CLASSES, "all")
            ],
        }
        for code in warehouses
    ]
    return {"labels": labels, "series": series, "table": table}


@capability_required(Capability.APPROVE)
def accuracy(request):
    """IRA = lines within tolerance on first count / lines counted, over approved counts."""
    form = AccuracyFilterForm(request.GET or None, user=request.user)
    warehouse, months = None, 12
    if form.is_valid():
        warehouse = form.cleaned_data["warehouse"]
        months = form.cleaned_data["months"] or 12
    labels = _months_back(timezone.localdate(), months)
    since = date.fromisoformat(labels[0] + "-01")
    rows = selectors.accuracy_by_month(request.user, warehouse=warehouse, since=since)
    report = accuracy_report(rows, labels)
    return render(
        request,
        "counting/accuracy.html",
        {"form": form, "report": report, "classes": CLASSES},
    )


@capability_required(Capability.VIEW_STOCK)
def sku_history(request, seller_sku: str):
    """Every count of a SKU in the user's warehouses; expected and variance for managers only."""
    sku = get_object_or_404(SKU, seller_sku=seller_sku)
    exclude = () if can(request.user, Capability.APPROVE) else ("expected_qty", "variance")
    table = HistoryTable(selectors.sku_count_history(request.user, sku), exclude=exclude)
    RequestConfig(request, paginate={"per_page": 50}).configure(table)
    return render(request, "counting/sku_history.html", {"sku": sku, "table": table})
