"""Count sessions (DOMAIN.md "Counts"): what is counted, every scan, and the manager's decision.

A line's counted quantity is the sum of its scans (CountEntry rows), so repeated scans add up and
an undo is a flag on one entry. The expected quantity is the ledger on-hand captured with each
entry; the line keeps the one of its latest entry, so sales shipping during the count do not make
false variances. Lines are cached views of their entries, refreshed by the services.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from inventory.models import SKU, StockMovement, Warehouse


class CountKind(models.TextChoices):
    CYCLE = "cycle", _("Cycle count")
    FULL = "full", _("Full count")


class SessionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    COUNTING = "counting", _("Counting")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


OPEN_STATUSES = (SessionStatus.DRAFT, SessionStatus.COUNTING, SessionStatus.SUBMITTED)
ENTRY_STATUSES = (SessionStatus.DRAFT, SessionStatus.COUNTING)


class LineReason(models.TextChoices):
    DUE = "due", _("Due by class")
    SPIKE = "spike", _("Sales spike")
    NEGATIVE = "negative", _("Negative balance")
    FULL = "full", _("Full count")
    MANUAL = "manual", _("Chosen by hand")
    FOUND = "found", _("Found during the count")


class EntryPhase(models.TextChoices):
    COUNT = "count", _("First count")
    RECOUNT = "recount", _("Recount")


class CountSession(models.Model):
    warehouse = models.ForeignKey(
        Warehouse,
        on_delete=models.PROTECT,
        related_name="count_sessions",
        verbose_name=_("warehouse"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=CountKind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=SessionStatus.choices, default=SessionStatus.DRAFT
    )
    # Set by the daily schedule: at most one proposal per warehouse and local day.
    scheduled_for = models.DateField(_("scheduled for"), null=True, blank=True)
    counters = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="assigned_count_sessions",
        blank=True,
        verbose_name=_("assigned counters"),
    )
    comment = models.TextField(_("comment"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("rejected by"),
    )
    rejected_at = models.DateTimeField(_("rejected at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("count session")
        verbose_name_plural = _("count sessions")
        constraints = [
            models.UniqueConstraint(
                fields=["warehouse", "kind", "scheduled_for"],
                condition=models.Q(scheduled_for__isnull=False),
                name="count_session_one_proposal_per_day",
            ),
        ]
        indexes = [models.Index(fields=["warehouse", "status"], name="count_session_wh_status")]

    def __str__(self):
        return f"#{self.pk} {self.warehouse_id} {self.kind}"

    def get_absolute_url(self):
        return reverse("counting:session_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def takes_entries(self) -> bool:
        return self.status in ENTRY_STATUSES


class CountLine(models.Model):
    session = models.ForeignKey(
        CountSession, on_delete=models.CASCADE, related_name="lines", verbose_name=_("session")
    )
    sku = models.ForeignKey(
        SKU, on_delete=models.PROTECT, related_name="count_lines", verbose_name=_("SKU")
    )
    # Where to find it; the ledger has no bins, so one line per SKU and session.
    bin = models.CharField(_("bin"), max_length=32, blank=True)
    reason = models.CharField(
        _("reason"), max_length=10, choices=LineReason.choices, default=LineReason.MANUAL
    )
    # Effective class when the line was made (no class yet counts as C).
    abc_class = models.CharField(_("ABC class"), max_length=1, default="C")
    counted_qty = models.IntegerField(_("counted"), null=True, blank=True)
    expected_qty = models.IntegerField(_("expected at count time"), null=True, blank=True)
    counted_at = models.DateTimeField(_("counted at"), null=True, blank=True)
    counted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("counted by"),
    )
    # Set when the counts are submitted: was the first count within tolerance?
    first_within_tolerance = models.BooleanField(_("first count within tolerance"), null=True)
    recount_required = models.BooleanField(_("recount required"), default=False)
    recount_qty = models.IntegerField(_("recounted"), null=True, blank=True)
    recount_expected_qty = models.IntegerField(_("expected at recount time"), null=True, blank=True)
    recount_at = models.DateTimeField(_("recounted at"), null=True, blank=True)
    recount_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recounted by"),
    )
    # Final variance (recount if there is one) = counted - expected; set on submission.
    variance = models.IntegerField(_("variance"), null=True, blank=True)
    adjustment = models.ForeignKey(
        StockMovement,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("count adjustment"),
    )

    class Meta:
        ordering = ["bin", "sku__seller_sku"]
        verbose_name = _("count line")
        verbose_name_plural = _("count lines")
        constraints = [
            models.UniqueConstraint(fields=["session", "sku"], name="count_line_unique_sku"),
        ]
        indexes = [models.Index(fields=["sku", "counted_at"], name="count_line_sku_time")]

    def __str__(self):
        return f"{self.session_id}:{self.sku_id}"

    @property
    def current_phase(self) -> str:
        return EntryPhase.RECOUNT if self.recount_required else EntryPhase.COUNT

    @property
    def final_counted(self) -> int | None:
        return self.recount_qty if self.recount_qty is not None else self.counted_qty

    @property
    def final_expected(self) -> int | None:
        return self.recount_expected_qty if self.recount_qty is not None else self.expected_qty

    @property
    def first_variance(self) -> int | None:
        if self.counted_qty is None or self.expected_qty is None:
            return None
        return self.counted_qty - self.expected_qty


class CountEntry(models.Model):
    """One scan or typed quantity. Never deleted: an undo stamps `undone_at`."""

    class Source(models.TextChoices):
        SCAN = "scan", _("Entry page")
        API = "api", _("API")
        SHEET = "sheet", _("Imported sheet")
        SUBMIT = "submit", _("Uncounted, recorded as 0 at submission")

    line = models.ForeignKey(
        CountLine, on_delete=models.CASCADE, related_name="entries", verbose_name=_("line")
    )
    phase = models.CharField(_("phase"), max_length=10, choices=EntryPhase.choices)
    quantity = models.PositiveIntegerField(_("quantity"))
    # Ledger on-hand at the moment of this entry: never shown to the counter.
    expected_qty = models.IntegerField(_("on hand at entry time"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    # One per submit (a hidden uuid in the form, a header in the API): a double submit is one entry.
    idempotency_key = models.UUIDField(_("idempotency key"), unique=True)
    created_at = models.DateTimeField(_("entered at"), auto_now_add=True)
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("count entry")
        verbose_name_plural = _("count entries")

    def __str__(self):
        return f"{self.line_id} +{self.quantity} ({self.phase})"


class FullCountReminder(models.Model):
    """A reminder email sent to a warehouse's managers that a full count is due."""

    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.CASCADE, related_name="+", verbose_name=_("warehouse")
    )
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    recipients = models.TextField(_("recipients"), blank=True)

    class Meta:
        ordering = ["-sent_at"]
        verbose_name = _("full count reminder")
        verbose_name_plural = _("full count reminders")

    def __str__(self):
        return f"{self.warehouse_id} {self.sent_at:%Y-%m-%d}"
