"""One-line explanations of a planning row, for emails, the digest CSV and the pages."""

from django.utils.translation import gettext as _

from alerts import formulas


def explanation(row) -> str:
    """Why the SKU has its status and what to do, in the active language."""
    values = {
        "on_hand": row.on_hand,
        "ip": row.on_hand + row.on_order,
        "ss": row.safety_stock_units,
        "rop": row.reorder_point_units,
        "qty": row.suggested_order_qty,
        "lead": row.lead_time_days,
        "days": row.days_of_cover is not None and round(row.days_of_cover) or 0,
    }
    if row.status == formulas.STOCKOUT:
        if row.suggested_order_qty:
            return _("Out of stock: order %(qty)s units now.") % values
        return _("Out of stock, with no sales in the demand window: order only if needed.")
    if row.status == formulas.BELOW_SAFETY:
        return (
            _(
                "On hand %(on_hand)s is at or below the safety stock of %(ss)s: "
                "order %(qty)s units now."
            )
            % values
        )
    if row.status == formulas.REORDER:
        return (
            _(
                "On hand + on order %(ip)s is at or below the reorder point of %(rop)s: "
                "order %(qty)s units."
            )
            % values
        )
    if row.status == formulas.OVERSTOCK:
        if row.days_of_cover is None:
            return _("No sales in the demand window: no order needed.")
        return _("%(days)s days of cover, more than needed: no order needed.") % values
    return _("Stock covers the lead time of %(lead)s days: no order needed.") % values


def advice_reason(row) -> str:
    """Why the ad advice is what it is."""
    if row.ad_advice == formulas.PAUSE:
        return _("Out of stock or below safety stock: ads would sell what is not there.")
    if row.ad_advice == formulas.REDUCE:
        return _(
            "Stock lasts %(days)s days, less than the lead time of %(lead)s days: "
            "it runs out before a new order can arrive."
        ) % {"days": round(row.days_of_cover or 0), "lead": row.lead_time_days}
    if row.ad_advice == formulas.PUSH:
        if row.status == formulas.OVERSTOCK:
            return _("More stock than demand needs: spend to clear it.")
        return _("Slow mover: spend to clear it.")
    return _("Stock and demand are in balance.")
