"""Replenishment: planning figures per (warehouse, SKU), stock alerts, and the email outbox."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from alerts import formulas
from inventory.models import SKU, Warehouse


class StockStatus(models.TextChoices):
    STOCKOUT = formulas.STOCKOUT, _("Stock-out")
    BELOW_SAFETY = formulas.BELOW_SAFETY, _("Below safety stock")
    REORDER = formulas.REORDER, _("Reorder")
    OVERSTOCK = formulas.OVERSTOCK, _("Overstock")
    OK = formulas.OK, _("OK")


class AdAdvice(models.TextChoices):
    PAUSE = formulas.PAUSE, _("Pause")
    REDUCE = formulas.REDUCE, _("Reduce budget")
    PUSH = formulas.PUSH, _("Push")
    KEEP = formulas.KEEP, _("Keep")


class PlanningFigures(models.Model):
    """SS, ROP, order quantity, status and ad advice per (warehouse, SKU).

    Written set-based by the nightly planning step; the real-time check after a posting refreshes
    the live part (on hand, on order, status, suggestion) against the stored SS/ROP.
    """

    # No index of its own: a warehouse holds a large share of the rows (a filter by it reads
    # them whichever way), and every index is written again for each row the night changes
    # (four indexes instead of six: the planning UPDATE 0.80-0.85 -> 0.59-0.64 s at 100k
    # SKUs; docs/performance.md, ninth session).
    warehouse = models.ForeignKey(
        Warehouse,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("warehouse"),
        db_index=False,
    )
    # Nor this one: the unique (SKU, warehouse) index starts with it.
    sku = models.ForeignKey(
        SKU,
        on_delete=models.CASCADE,
        related_name="planning",
        verbose_name=_("SKU"),
        db_index=False,
    )
    as_of = models.DateField(_("as of"))
    on_hand = models.IntegerField(_("on hand"))
    on_order = models.IntegerField(_("on order"))
    avg_daily_demand = models.FloatField(_("average daily demand"))
    demand_std = models.FloatField(_("demand standard deviation"))
    lead_time_days = models.IntegerField(_("lead time (days)"))
    lead_time_std_days = models.FloatField(_("lead time std (days)"))
    lead_time_std_source = models.CharField(_("lead time std from"), max_length=10)
    service_level = models.FloatField(_("service level"))
    z = models.FloatField("z")
    safety_stock = models.FloatField(_("safety stock"))
    reorder_point = models.FloatField(_("reorder point"))
    safety_stock_units = models.IntegerField(_("safety stock (units)"))
    reorder_point_units = models.IntegerField(_("reorder point (units)"))
    order_up_to = models.FloatField(_("order-up-to level"))
    suggested_order_qty = models.IntegerField(_("suggested order quantity"))
    # Null = infinite (no demand).
    days_of_cover = models.FloatField(_("days of cover"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=StockStatus.choices)
    urgency = models.SmallIntegerField(_("urgency"), help_text=_("0 = stock-out … 4 = OK"))
    ad_advice = models.CharField(_("ad advice"), max_length=8, choices=AdAdvice.choices)
    # The SS method (STOCKWISE["SS_METHOD"]) that set SS, ROP and S: after a change of setting,
    # the next night finds the rows the other method left, however idle their SKU.
    ss_method = models.CharField(_("safety-stock method"), max_length=8, default="normal")
    computed_at = models.DateTimeField(_("computed at"))
    checked_at = models.DateTimeField(_("status checked at"))

    class Meta:
        verbose_name = _("planning figures")
        verbose_name_plural = _("planning figures")
        constraints = [
            # SKU first: it serves a SKU's rows (its page, a cascade) as well as a pair's.
            models.UniqueConstraint(fields=["sku", "warehouse"], name="planning_unique_sku_wh"),
        ]
        indexes = [
            # A status filter reads the urgency at the head of the list order index.
            # The replenishment list's order, ties included: a page reads 50 index entries, not
            # every row of a large tie (8k stockouts at 100k SKUs all have 0 days of cover).
            models.Index(
                fields=["urgency", "days_of_cover", "warehouse", "sku"],
                name="planning_list_order",
            ),
            # Sorted by on hand (what to push with ads: the most stock first), a page walks the
            # index instead of sorting every row: /replenishment/?ad_advice=PUSH&sort=-on_hand
            # &page=5 30 -> 1 ms at 100k SKUs. Ties are ordered by id on top (an incremental
            # sort), in either direction. The night rewrites on hand with other indexed
            # columns, so this costs no HOT update.
            models.Index(fields=["on_hand"], name="planning_on_hand"),
        ]

    def __str__(self):
        return f"{self.sku_id}@{self.warehouse_id}: {self.status}"

    @property
    def inventory_position(self) -> int:
        return self.on_hand + self.on_order


class Severity(models.TextChoices):
    CRITICAL = "critical", _("Critical")
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")


SEVERITY_BY_STATUS = {
    StockStatus.STOCKOUT: Severity.CRITICAL,
    StockStatus.BELOW_SAFETY: Severity.HIGH,
    StockStatus.REORDER: Severity.MEDIUM,
}


class Alert(models.Model):
    """A SKU that entered STOCKOUT, BELOW_SAFETY or REORDER; at most one open per pair.

    Resolved by itself when the SKU is back to OK or OVERSTOCK (`resolved_by` stays empty).
    """

    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.CASCADE, related_name="+", verbose_name=_("warehouse")
    )
    sku = models.ForeignKey(
        SKU, on_delete=models.CASCADE, related_name="alerts", verbose_name=_("SKU")
    )
    # The status now (worsens or eases while open) and the one it was opened with.
    status = models.CharField(_("status"), max_length=12, choices=StockStatus.choices)
    opened_status = models.CharField(_("opened as"), max_length=12, choices=StockStatus.choices)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices)
    urgency = models.SmallIntegerField(_("urgency"))
    on_hand_at_open = models.IntegerField(_("on hand when opened"))
    on_order_at_open = models.IntegerField(_("on order when opened"))
    safety_stock_units = models.IntegerField(_("safety stock (units)"))
    reorder_point_units = models.IntegerField(_("reorder point (units)"))
    trigger = models.CharField(_("opened by"), max_length=20, help_text=_("nightly or posting"))
    opened_at = models.DateTimeField(_("opened at"))
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("acknowledged by"),
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
        help_text=_("Empty: resolved automatically when the stock recovered."),
    )
    resolved_status = models.CharField(
        _("status when resolved"), max_length=12, choices=StockStatus.choices, blank=True
    )

    class Meta:
        ordering = ["urgency", "-opened_at"]
        verbose_name = _("stock alert")
        verbose_name_plural = _("stock alerts")
        constraints = [
            models.UniqueConstraint(
                fields=["warehouse", "sku"],
                condition=models.Q(resolved_at__isnull=True),
                name="alert_one_open_per_wh_sku",
            ),
        ]
        indexes = [models.Index(fields=["warehouse", "resolved_at"], name="alert_wh_resolved")]

    def __str__(self):
        return f"{self.status} {self.sku_id}@{self.warehouse_id}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class OutboxEmail(models.Model):
    """An email to send, written in the transaction that caused it (the outbox pattern).

    `dedup_key` is unique ("alert-open:<alert>:<language>", "digest:<supplier>:<date>:<user>"),
    so a duplicate delivery or a second beat process cannot send it twice.
    """

    dedup_key = models.CharField(_("deduplication key"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=20)
    language = models.CharField(_("language"), max_length=10)
    to = models.JSONField(_("recipients"))
    subject = models.CharField(_("subject"), max_length=255)
    body_text = models.TextField(_("text body"))
    body_html = models.TextField(_("HTML body"))
    # [{"filename": ..., "content": text, "mimetype": ...}]
    attachments = models.JSONField(_("attachments"), default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("outgoing email")
        verbose_name_plural = _("outgoing emails")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due")]

    def __str__(self):
        return self.dedup_key


class EmailPreference(models.Model):
    """The language a user's reorder emails are written in (default: settings.LANGUAGE_CODE)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="email_preference",
        verbose_name=_("user"),
    )
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)

    class Meta:
        verbose_name = _("email preference")
        verbose_name_plural = _("email preferences")

    def __str__(self):
        return f"{self.user_id}: {self.language}"


class PendingRecheck(models.Model):
    """A (warehouse, SKU) whose stock moved since the real-time check last looked at it.

    Postings add their pairs (`alerts.rechecks`); one task checks every pair queued and
    removes them.
    """

    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, related_name="+")
    sku = models.ForeignKey(SKU, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["warehouse", "sku"], name="pendingrecheck_pair")
        ]

    def __str__(self):
        return f"{self.warehouse_id}/{self.sku_id}"


class RecheckFlag(models.Model):
    """One row while a check of the queue is scheduled: postings meanwhile only queue their
    pairs. `taken_at` lets a later posting take over a flag whose task was lost."""

    id = models.PositiveSmallIntegerField(primary_key=True)
    taken_at = models.DateTimeField()

    def __str__(self):
        return f"check scheduled at {self.taken_at}"
