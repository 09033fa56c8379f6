"""Turnover notices: the nightly out-of-band flag and the weekly manager summary.

Each night the "turnover band" step looks at every warehouse, and every category within each
warehouse, over the trailing `TURNOVER_TRAILING_DAYS` days. A subject whose annualised turnover
is below or above its band gets an open `TurnoverNotice` (one per subject; a flip from below to
above closes the old notice and opens a new one); a subject back in the band, or with no stock
and no sales, has its notice closed. Notices are per warehouse so that a manager only ever sees
figures of the warehouses they belong to.
"""

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from inventory.models import TurnoverBand, TurnoverNotice, Warehouse
from inventory.roles import Capability, Role, can
from inventory.turnover import Grouping, Period, TurnoverRow, turnover_rows
from inventory.turnover_facts import band_rows_from_facts, turnover_rows_from_facts

logger = logging.getLogger(__name__)

_MONEY = Decimal("0.01")


@dataclass(frozen=True)
class NoticeCheck:
    opened: int
    closed: int
    open_now: int


def _trailing_period(as_of: date) -> Period:
    return Period.trailing(settings.STOCKWISE["TURNOVER_TRAILING_DAYS"], as_of)


def _subject(row: TurnoverRow) -> tuple[int, int | None] | None:
    """(warehouse id, category id or None for the whole warehouse); None for the SKUs without
    a category, which have no band of their own (the warehouse's notice covers them)."""
    if row.grouping == Grouping.WAREHOUSE:
        return row.key[0], None
    return (row.key[0], row.key[1]) if row.key[1] else None


@transaction.atomic
def turnover_band_check(as_of: date) -> NoticeCheck:
    """Open and close turnover notices for `as_of` (the nightly "turnover band" step).

    Two set-based statements (per warehouse, per category in warehouse), then a handful of
    writes: the number of subjects is warehouses × categories, never SKUs.
    """
    period = _trailing_period(as_of)
    warehouses = list(Warehouse.objects.all())
    flagged: dict[tuple[int, int | None], TurnoverRow] = {}
    # After the demand step slid the window to this day, its facts hold every figure.
    from_facts = band_rows_from_facts(warehouses=warehouses, period=period)
    for grouping in (Grouping.WAREHOUSE, Grouping.WAREHOUSE_CATEGORY):
        if from_facts is not None:
            rows = from_facts[grouping]
        else:
            rows = turnover_rows_from_facts(warehouses=warehouses, period=period, grouping=grouping)
        if rows is None:
            rows = turnover_rows(warehouses=warehouses, period=period, grouping=grouping)
        for row in rows:
            subject = _subject(row)
            if subject and row.band in (TurnoverBand.BELOW, TurnoverBand.ABOVE):
                flagged[subject] = row

    open_notices = {
        (n.warehouse_id, n.category_id): n
        for n in TurnoverNotice.objects.select_for_update().filter(closed_on__isnull=True)
    }
    to_close, to_update, to_create = [], [], []
    for subject, notice in open_notices.items():
        row = flagged.get(subject)
        if row is None or row.band != notice.band:
            notice.closed_on = as_of
            to_close.append(notice)
        else:
            _fill(notice, row, as_of)
            to_update.append(notice)
    for subject, row in flagged.items():
        notice = open_notices.get(subject)
        if notice is None or notice.closed_on is not None:
            new = TurnoverNotice(warehouse_id=subject[0], category_id=subject[1], opened_on=as_of)
            _fill(new, row, as_of)
            to_create.append(new)
    TurnoverNotice.objects.bulk_update(to_close, ["closed_on"])
    TurnoverNotice.objects.bulk_update(
        to_update,
        [
            "annualised_turnover",
            "band_min",
            "band_max",
            "cogs",
            "average_inventory_value",
            "period_days",
            "checked_on",
        ],
    )
    TurnoverNotice.objects.bulk_create(to_create)
    result = NoticeCheck(
        opened=len(to_create), closed=len(to_close), open_now=len(to_update) + len(to_create)
    )
    logger.info("turnover notices %s: %s", as_of, result)
    return result


def _fill(notice: TurnoverNotice, row: TurnoverRow, as_of: date) -> None:
    notice.band = row.band
    notice.annualised_turnover = row.annualised_turnover
    notice.band_min = row.band_min
    notice.band_max = row.band_max
    notice.cogs = row.cogs.quantize(_MONEY)
    notice.average_inventory_value = row.average_inventory_value.quantize(_MONEY)
    notice.period_days = row.days
    notice.checked_on = as_of


def notices_for(user, *, open_only: bool = True) -> QuerySet[TurnoverNotice]:
    """Turnover notices of the user's warehouses (managers and admins only; others see none)."""
    if not can(user, Capability.APPROVE):
        return TurnoverNotice.objects.none()
    notices = TurnoverNotice.objects.filter(warehouse__members=user).select_related(
        "warehouse", "category"
    )
    if open_only:
        notices = notices.filter(closed_on__isnull=True)
    return notices.order_by("warehouse__code", "category__name", "-opened_on")


def _managers():
    """Active users who may approve (managers, admins) with an email, and their warehouses."""
    user_model = get_user_model()
    return (
        user_model.objects.filter(is_active=True)
        .filter(Q(groups__name__in=[Role.MANAGER, Role.ADMIN]) | Q(is_superuser=True))
        .exclude(email="")
        .distinct()
        .prefetch_related("warehouses")
        .order_by("pk")
    )


def turnover_digest_send(as_of: date | None = None) -> int:
    """Email each manager the turnover notices of their warehouses: open ones, and those closed
    in the last 7 days. Managers with nothing to report get no email. Returns emails sent."""
    as_of = as_of or timezone.localdate()
    week_ago = as_of - timedelta(days=7)
    notices = list(
        TurnoverNotice.objects.filter(Q(closed_on__isnull=True) | Q(closed_on__gt=week_ago))
        .select_related("warehouse", "category")
        .order_by("warehouse__code", "category__name", "-opened_on")
    )
    if not notices:
        return 0
    page = settings.SITE_URL.rstrip("/") + reverse("inventory:turnover")
    messages = []
    for manager in _managers():
        mine = {w.pk for w in manager.warehouses.all()}
        own = [n for n in notices if n.warehouse_id in mine]
        if not own:
            continue
        with translation.override(settings.LANGUAGE_CODE):
            context = {
                "manager": manager,
                "as_of": as_of,
                "open": [n for n in own if n.closed_on is None],
                "closed": [n for n in own if n.closed_on is not None],
                "page": page,
                "days": settings.STOCKWISE["TURNOVER_TRAILING_DAYS"],
            }
            subject = _("Stockwise: turnover notices, week of %(date)s") % {"date": as_of}
            body = render_to_string("inventory/email/turnover_digest.txt", context)
        messages.append(EmailMessage(subject, body, to=[manager.email]))
    if messages:
        get_connection().send_messages(messages)
    return len(messages)
