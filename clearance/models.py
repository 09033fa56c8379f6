"""Clearance batches: slow movers proposed per warehouse, decided by a manager, then cleared."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from inventory.models import SKU, StockMovement, Warehouse


class BatchStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    CLOSED = "closed", _("Closed")


# A SKU in a batch with one of these statuses is not proposed again.
OPEN_BATCH_STATUSES = (BatchStatus.PROPOSED, BatchStatus.APPROVED)


class BatchOrigin(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    MANUAL = "manual", _("Manual")


class Strategy(models.TextChoices):
    BUNDLE = "BUNDLE", _("Bundle")
    PROMOTION = "PROMOTION", _("Clearance promotion")
    CHANNEL_TRANSFER = "CHANNEL_TRANSFER", _("Channel transfer")
    WRITE_OFF = "WRITE_OFF", _("Write-off")


# Strategies that take the stock out of the warehouse with a movement when the line is done.
DISPOSAL_KINDS = {
    Strategy.CHANNEL_TRANSFER: "CLEARANCE_OUT",
    Strategy.WRITE_OFF: "WRITE_OFF",
}


class ReasonCode(models.TextChoices):
    """Why a strategy was suggested; the sentence is rendered in the reader's language."""

    TOO_OLD = "too_old", _("Too old to sell")
    PROMOTION = "promotion", _("Discount recovers cost")
    PROMOTION_CAPPED = "promotion_capped", _("Deepest cost-recovering discount")
    BUNDLE = "bundle", _("Pair with a best seller")
    NO_MARGIN = "no_margin", _("No margin and no best seller")


class LineDecision(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


def _format_percent(value: Decimal | None) -> str:
    if value is None:
        return ""
    return f"{value.normalize():f}"


_PERCENT = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("95"))]


class ClearanceBatch(models.Model):
    warehouse = models.ForeignKey(
        Warehouse,
        on_delete=models.PROTECT,
        related_name="clearance_batches",
        verbose_name=_("warehouse"),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=BatchStatus.choices, default=BatchStatus.PROPOSED
    )
    origin = models.CharField(
        _("origin"), max_length=16, choices=BatchOrigin.choices, default=BatchOrigin.SCHEDULED
    )
    # The slow-mover facts the batch was built from are as of the end of this day.
    facts_as_of = models.DateField(_("slow movers as of"))
    created_at = models.DateTimeField(_("proposed at"), auto_now_add=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("proposed by"),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved or rejected by"),
    )
    decided_at = models.DateTimeField(_("approved or rejected at"), null=True, blank=True)
    decision_comment = models.TextField(_("comment"), blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("closed by"),
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    close_comment = models.TextField(_("closing comment"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("clearance batch")
        verbose_name_plural = _("clearance batches")
        indexes = [models.Index(fields=["warehouse", "status"], name="clearance_batch_wh_status")]

    def __str__(self):
        return f"#{self.pk} {self.warehouse_id}"

    def get_absolute_url(self):
        return reverse("clearance:batch_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_BATCH_STATUSES


class ClearanceLine(models.Model):
    batch = models.ForeignKey(
        ClearanceBatch, on_delete=models.CASCADE, related_name="lines", verbose_name=_("batch")
    )
    sku = models.ForeignKey(
        SKU, on_delete=models.PROTECT, related_name="clearance_lines", verbose_name=_("SKU")
    )
    # What the proposal saw.
    units = models.PositiveIntegerField(_("units on hand"))
    age_days = models.PositiveIntegerField(_("oldest unit age (days)"))
    unit_cost = models.DecimalField(_("unit cost"), max_digits=12, decimal_places=4)
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=2)
    capital = models.DecimalField(_("capital tied up"), max_digits=16, decimal_places=2)
    recent_sales = models.IntegerField(_("units sold, slow-mover window"), default=0)
    window_sales = models.IntegerField(_("units sold, demand window"), default=0)
    suggested_strategy = models.CharField(
        _("suggested strategy"), max_length=20, choices=Strategy.choices
    )
    suggested_discount = models.DecimalField(
        _("suggested discount (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=_PERCENT,
    )
    bundle_with = models.ForeignKey(
        SKU,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("bundle with"),
    )
    reason_code = models.CharField(_("reason"), max_length=20, choices=ReasonCode.choices)
    # The manager's decision and edits.
    decision = models.CharField(
        _("decision"), max_length=16, choices=LineDecision.choices, default=LineDecision.PENDING
    )
    strategy = models.CharField(_("strategy"), max_length=20, choices=Strategy.choices)
    quantity = models.PositiveIntegerField(_("quantity to clear"))
    discount = models.DecimalField(
        _("discount (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=_PERCENT,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    # Execution.
    done = models.BooleanField(_("done"), default=False)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("done by"),
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    movement = models.ForeignKey(
        StockMovement,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("posted movement"),
    )

    class Meta:
        ordering = ["-capital", "id"]
        verbose_name = _("clearance line")
        verbose_name_plural = _("clearance lines")
        constraints = [
            models.UniqueConstraint(fields=["batch", "sku"], name="clearance_line_unique_sku"),
            models.CheckConstraint(
                condition=models.Q(discount__isnull=True)
                | models.Q(discount__gte=0, discount__lte=95),
                name="clearance_line_discount_range",
            ),
        ]

    def __str__(self):
        return f"{self.batch_id}:{self.sku_id}"

    @property
    def external_ref(self) -> str:
        """The ledger reference of this line's disposal: posting it twice changes nothing."""
        return f"clearance:{self.batch_id}:{self.pk}"

    @property
    def is_disposal(self) -> bool:
        return self.strategy in DISPOSAL_KINDS

    @property
    def reason(self) -> str:
        """The one-line reason for the suggested strategy, in the reader's language."""
        values = {
            "age": self.age_days,
            "discount": _format_percent(self.suggested_discount),
            "cost": self.unit_cost.quantize(Decimal("0.01")),
            "price": self.unit_price,
            "best": self.bundle_with.seller_sku if self.bundle_with_id else "",
        }
        messages = {
            ReasonCode.TOO_OLD: _(
                "Oldest unit is %(age)s days old: unlikely to sell, write it off."
            ),
            ReasonCode.PROMOTION: _(
                "A %(discount)s%% discount on %(price)s still recovers the unit cost %(cost)s."
            ),
            ReasonCode.PROMOTION_CAPPED: _(
                "%(discount)s%% is the deepest discount on %(price)s that recovers the unit "
                "cost %(cost)s."
            ),
            ReasonCode.BUNDLE: _(
                "No useful discount recovers the unit cost %(cost)s: pair it with %(best)s, "
                "the best seller of its category."
            ),
            ReasonCode.NO_MARGIN: _(
                "No discount recovers the unit cost %(cost)s and no best seller of its "
                "category to pair with: sell it through another channel."
            ),
        }
        return str(messages[self.reason_code]) % values

    @property
    def deal_price(self) -> Decimal | None:
        if self.discount is None:
            return None
        return (self.unit_price * (100 - self.discount) / 100).quantize(Decimal("0.01"))
