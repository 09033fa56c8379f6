"""The ground floor: warehouses, suppliers, SKUs, the immutable movement ledger and balances."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from inventory.links import pk_url

# Plausibility limits of planning parameters: anything beyond is a typo, refused with a message.
MAX_LEAD_TIME_DAYS = 365
MAX_MOQ = 1_000_000
MAX_CASE_PACK = 100_000
_lead_days = [MaxValueValidator(MAX_LEAD_TIME_DAYS)]
_lead_std = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal(MAX_LEAD_TIME_DAYS))]


class Warehouse(models.Model):
    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=120)
    timezone = models.CharField(_("time zone"), max_length=64, default="UTC")
    allow_negative_stock = models.BooleanField(_("allow negative stock"), default=False)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="warehouses", blank=True, verbose_name=_("members")
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")

    def __str__(self):
        return self.code

    def get_absolute_url(self):
        return reverse("inventory:warehouse_detail", args=[self.code])


class Supplier(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    email = models.EmailField(_("email"), blank=True)
    lead_time_days = models.PositiveIntegerField(
        _("lead time (days)"), default=14, validators=_lead_days
    )
    logistics_days = models.PositiveIntegerField(
        _("inbound logistics days"), default=0, validators=_lead_days
    )
    lead_time_std_days = models.DecimalField(
        _("lead time std (days)"),
        max_digits=6,
        decimal_places=2,
        default=Decimal("0"),
        validators=_lead_std,
    )
    # The nightly planning recomputes the SKUs of suppliers changed since its last run.
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")

    def __str__(self):
        return self.name


class Category(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    external_id = models.CharField(_("TikTok category ID"), max_length=40, blank=True)
    turnover_min = models.DecimalField(
        _("healthy turnover min"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    turnover_max = models.DecimalField(
        _("healthy turnover max"), max_digits=6, decimal_places=2, null=True, blank=True
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self):
        return self.name


class SKU(models.Model):
    seller_sku = models.CharField(_("seller SKU"), max_length=64, unique=True)
    # TikTok SKU IDs have 19 digits: text, never a number.
    tiktok_sku_id = models.CharField(_("TikTok SKU ID"), max_length=32, blank=True, db_index=True)
    barcode = models.CharField(_("barcode"), max_length=64, blank=True, db_index=True)
    name = models.CharField(_("name"), max_length=255)
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="skus",
        verbose_name=_("category"),
    )
    unit_cost = models.DecimalField(
        _("unit cost"),
        max_digits=12,
        decimal_places=4,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    unit_price = models.DecimalField(
        _("unit price"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    supplier = models.ForeignKey(
        Supplier,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="skus",
        verbose_name=_("supplier"),
    )
    # Per-SKU overrides; null means "the supplier's value" (DOMAIN.md "Safety stock").
    lead_time_days = models.PositiveIntegerField(
        _("lead time (days)"), null=True, blank=True, validators=_lead_days
    )
    logistics_days = models.PositiveIntegerField(
        _("inbound logistics days"), null=True, blank=True, validators=_lead_days
    )
    lead_time_std_days = models.DecimalField(
        _("lead time std (days)"),
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        validators=_lead_std,
    )
    service_level = models.DecimalField(
        _("service level"),
        max_digits=5,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.5")), MaxValueValidator(Decimal("0.9999"))],
    )
    moq = models.PositiveIntegerField(
        _("minimum order quantity"), default=0, validators=[MaxValueValidator(MAX_MOQ)]
    )
    case_pack = models.PositiveIntegerField(
        _("case pack"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_CASE_PACK)],
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["seller_sku"]
        verbose_name = _("SKU")
        verbose_name_plural = _("SKUs")
        # The SKU list's sortable columns: a page deep in a 100k-SKU sort reads the index.
        indexes = [
            models.Index(fields=["name", "id"], name="sku_name"),
            models.Index(fields=["unit_cost", "id"], name="sku_unit_cost"),
            models.Index(fields=["unit_price", "id"], name="sku_unit_price"),
        ]

    def __str__(self):
        return self.seller_sku

    def get_absolute_url(self):
        return pk_url("inventory:sku_detail", self.pk)


class MovementKind(models.TextChoices):
    RECEIPT = "RECEIPT", _("Receipt")
    SALE = "SALE", _("Sale")
    RETURN = "RETURN", _("Return")
    ADJUSTMENT = "ADJUSTMENT", _("Adjustment")
    COUNT_ADJUSTMENT = "COUNT_ADJUSTMENT", _("Count adjustment")
    TRANSFER_IN = "TRANSFER_IN", _("Transfer in")
    TRANSFER_OUT = "TRANSFER_OUT", _("Transfer out")
    CLEARANCE_OUT = "CLEARANCE_OUT", _("Clearance out")
    WRITE_OFF = "WRITE_OFF", _("Write-off")


INBOUND_KINDS = frozenset({MovementKind.RECEIPT, MovementKind.RETURN, MovementKind.TRANSFER_IN})
OUTBOUND_KINDS = frozenset(
    {
        MovementKind.SALE,
        MovementKind.TRANSFER_OUT,
        MovementKind.CLEARANCE_OUT,
        MovementKind.WRITE_OFF,
    }
)
# Adjustments may go either way.
SIGNED_KINDS = frozenset({MovementKind.ADJUSTMENT, MovementKind.COUNT_ADJUSTMENT})


class AppendOnlyQuerySet(models.QuerySet):
    """Bulk update/delete refused with the model's own messages."""

    def update(self, **kwargs):
        raise ValidationError(self.model.change_refused)

    def delete(self):
        raise ValidationError(self.model.delete_refused)


class AppendOnlyModel(models.Model):
    """Rows that are written once and never changed or deleted (the ledger, the audit history).

    The ORM refuses here; on PostgreSQL the ledger also has a trigger.
    """

    change_refused = _("This record cannot be changed.")
    delete_refused = _("This record cannot be deleted.")

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ValidationError(self.change_refused)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(self.delete_refused)


class StockMovement(AppendOnlyModel):
    # No single-column indexes on warehouse and SKU: the (warehouse, occurred_at) and
    # (sku, warehouse, occurred_at) indexes below start with them and serve the same lookups;
    # two fewer indexes to write per ledger row (docs/performance.md "Writes").
    warehouse = models.ForeignKey(
        Warehouse,
        on_delete=models.PROTECT,
        related_name="movements",
        verbose_name=_("warehouse"),
        db_index=False,
    )
    sku = models.ForeignKey(
        SKU,
        on_delete=models.PROTECT,
        related_name="movements",
        verbose_name=_("SKU"),
        db_index=False,
    )
    kind = models.CharField(_("kind"), max_length=20, choices=MovementKind.choices)
    quantity = models.IntegerField(_("quantity"), help_text=_("Signed change of on-hand."))
    occurred_at = models.DateTimeField(_("occurred at"))
    unit_cost = models.DecimalField(_("unit cost"), max_digits=12, decimal_places=4)
    source = models.CharField(_("source"), max_length=32, default="manual")
    external_ref = models.CharField(_("external reference"), max_length=128, null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    note = models.CharField(_("note"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("posted at"), auto_now_add=True)

    change_refused = _("Stock movements cannot be changed; post a correction instead.")
    delete_refused = _("Stock movements cannot be deleted; post a correction instead.")

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        constraints = [
            # The ref leads: "these refs of this source" is always a lookup of each ref. Led by
            # the source, PostgreSQL scanned every row of a source its statistics did not know
            # yet (a new API client, a first import) and filtered the refs: 11 ms a POST after
            # 10k API movements, 14 s for a 5,000-line import after 20k.
            models.UniqueConstraint(
                fields=["external_ref", "source"],
                condition=models.Q(external_ref__isnull=False),
                name="movement_unique_external_ref_source",
            ),
            models.CheckConstraint(
                condition=~models.Q(quantity=0), name="movement_quantity_not_zero"
            ),
        ]
        indexes = [
            # Covering index for the per-SKU history scans of the nightly jobs
            # (PERFORMANCE-NOTES.md: 11.2 s -> 7.7 s at 10M rows).
            models.Index(
                fields=["sku", "warehouse", "occurred_at"],
                include=["kind", "quantity"],
                name="movement_sku_wh_time",
            ),
            models.Index(fields=["warehouse", "occurred_at"], name="movement_wh_time"),
            # The movement list, newest first across the user's warehouses: read backwards,
            # a page is 50 index entries instead of sorting millions of rows.
            models.Index(fields=["occurred_at", "id"], name="movement_time"),
        ]

    def __str__(self):
        return f"{self.kind} {self.quantity:+d} {self.sku_id}@{self.warehouse_id}"

    def get_absolute_url(self):
        return pk_url("inventory:movement_detail", self.pk)


class StockBalance(models.Model):
    """On-hand cache per (warehouse, SKU), written with its movement under a row lock."""

    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="balances", verbose_name=_("warehouse")
    )
    sku = models.ForeignKey(
        SKU, on_delete=models.PROTECT, related_name="balances", verbose_name=_("SKU")
    )
    on_hand = models.IntegerField(_("on hand"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("stock balance")
        verbose_name_plural = _("stock balances")
        constraints = [
            models.UniqueConstraint(fields=["warehouse", "sku"], name="balance_unique_wh_sku"),
        ]

    def __str__(self):
        return f"{self.sku_id}@{self.warehouse_id}: {self.on_hand}"


class PurchaseOrderStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent")
    PARTLY_RECEIVED = "partly_received", _("Partly received")
    RECEIVED = "received", _("Received")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_PO_STATUSES = (PurchaseOrderStatus.SENT, PurchaseOrderStatus.PARTLY_RECEIVED)


class PurchaseOrder(models.Model):
    """Goods ordered from a supplier for one warehouse; its open quantity is `on_order`."""

    number = models.CharField(_("number"), max_length=32, unique=True)
    supplier = models.ForeignKey(
        Supplier,
        on_delete=models.PROTECT,
        related_name="purchase_orders",
        verbose_name=_("supplier"),
    )
    warehouse = models.ForeignKey(
        Warehouse,
        on_delete=models.PROTECT,
        related_name="purchase_orders",
        verbose_name=_("warehouse"),
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=PurchaseOrderStatus.choices,
        default=PurchaseOrderStatus.DRAFT,
    )
    ordered_at = models.DateTimeField(_("ordered at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("purchase order")
        verbose_name_plural = _("purchase orders")

    def __str__(self):
        return self.number


class PurchaseOrderLine(models.Model):
    purchase_order = models.ForeignKey(
        PurchaseOrder,
        on_delete=models.CASCADE,
        related_name="lines",
        verbose_name=_("purchase order"),
    )
    sku = models.ForeignKey(
        SKU, on_delete=models.PROTECT, related_name="purchase_order_lines", verbose_name=_("SKU")
    )
    quantity = models.PositiveIntegerField(_("quantity ordered"), validators=[MinValueValidator(1)])
    received_quantity = models.PositiveIntegerField(_("quantity received"), default=0)
    unit_cost = models.DecimalField(
        _("unit cost"), max_digits=12, decimal_places=4, null=True, blank=True
    )
    expected_date = models.DateField(_("expected date"), null=True, blank=True)
    # Set when the line is first received: actual lead time = received - ordered, in days.
    first_received_at = models.DateTimeField(_("first received at"), null=True, blank=True)
    actual_lead_time_days = models.PositiveIntegerField(
        _("actual lead time (days)"), null=True, blank=True
    )

    class Meta:
        ordering = ["id"]
        verbose_name = _("purchase order line")
        verbose_name_plural = _("purchase order lines")
        constraints = [
            models.UniqueConstraint(fields=["purchase_order", "sku"], name="po_line_unique_sku"),
            models.CheckConstraint(
                condition=models.Q(received_quantity__lte=models.F("quantity")),
                name="po_line_received_le_ordered",
            ),
        ]
        indexes = [models.Index(fields=["sku"], name="po_line_sku")]

    def __str__(self):
        return f"{self.purchase_order_id}:{self.sku_id} {self.received_quantity}/{self.quantity}"

    @property
    def open_quantity(self) -> int:
        return self.quantity - self.received_quantity


class ABCClass(models.TextChoices):
    A = "A", "A"
    B = "B", "B"
    C = "C", "C"


class SkuFacts(models.Model):
    """Facts derived from the ledger per (warehouse, SKU) as of the last recompute.

    One row per pair that has a balance. Each fact is written by its own set-based step of the
    nightly job (demand, ABC, ageing), never by a Python loop over SKUs.
    """

    # No index of its own: the unique (warehouse, SKU) index starts with it.
    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    sku = models.ForeignKey(SKU, on_delete=models.CASCADE, related_name="facts")
    as_of = models.DateField(_("as of"))
    # Demand (DOMAIN.md "Demand"): over the available days of the window.
    avg_daily_demand = models.FloatField(_("average daily demand"), default=0)
    demand_std = models.FloatField(_("demand standard deviation"), default=0)
    available_days = models.PositiveIntegerField(_("available days"), default=0)
    units_sold_window = models.IntegerField(_("units sold in the window"), default=0)
    max_daily_sales_recent = models.IntegerField(_("highest daily sales, last 7 days"), default=0)
    # ABC class by COGS value over the window (DOMAIN.md "Counts").
    cogs_window = models.DecimalField(
        _("COGS over the window"), max_digits=16, decimal_places=4, default=Decimal("0")
    )
    abc_class = models.CharField(_("ABC class"), max_length=1, choices=ABCClass.choices, blank=True)
    # Stock age (DOMAIN.md "Stock age and slow movers"); the age of the oldest unit is read from
    # `oldest_unit_date` (inventory.ages), not stored: it would change every night.
    units_sold_slow_window = models.IntegerField(_("units sold, slow-mover window"), default=0)
    slow_mover = models.BooleanField(_("slow mover"), default=False)
    computed_at = models.DateTimeField(_("computed at"))
    # The window's running state, so the nightly job slides it by a day instead of re-reading
    # history (inventory/window.py): closing stock the day before the window and on `as_of`,
    # the integer sums of q and q² over available days, COGS in 1/10,000 of the currency, and
    # the day of the oldest FIFO layer still in stock.
    window_opening = models.IntegerField(default=0)
    window_closing = models.IntegerField(default=0)
    demand_s1 = models.BigIntegerField(default=0)
    demand_s2 = models.BigIntegerField(default=0)
    cogs_window_e4 = models.BigIntegerField(default=0)
    stock_days = models.BigIntegerField(default=0)
    oldest_unit_date = models.DateField(null=True, blank=True)
    # The FIFO age profile on `FactsState.as_of` (DOMAIN.md buckets, in units): the ageing
    # report's snapshot, kept by the nightly ageing step (only rows that change are written).
    units_0_30 = models.IntegerField(default=0, db_default=0)
    units_31_60 = models.IntegerField(default=0, db_default=0)
    units_61_90 = models.IntegerField(default=0, db_default=0)
    units_91_180 = models.IntegerField(default=0, db_default=0)
    units_over_180 = models.IntegerField(default=0, db_default=0)

    class Meta:
        verbose_name = _("SKU facts")
        verbose_name_plural = _("SKU facts")
        constraints = [
            models.UniqueConstraint(fields=["warehouse", "sku"], name="facts_unique_wh_sku"),
        ]
        indexes = [
            # The ageing report's default order (oldest unit first) over the pairs in stock
            # (the pairs with an oldest unit). Not conditioned on the closing stock: a column
            # in an index's condition makes every update that changes it a non-HOT one, and
            # the demand step changes the closing stock of every pair that moved (its facts
            # UPDATE took 0.44 s a night that way, 0.18 s without).
            models.Index(
                fields=["oldest_unit_date", "id"],
                name="facts_oldest_unit",
                condition=models.Q(oldest_unit_date__isnull=False),
            ),
            # The ageing report sorted by units over 180 days (what is stuck longest: the
            # clearance question) walks this index instead of sorting every pair in stock:
            # 30 -> 1 ms at 100k pairs. Only the ageing step changes the column, on the pairs
            # whose stock crosses 180 days or is sold from it.
            models.Index(fields=["units_over_180"], name="facts_units_over_180"),
        ]

    def __str__(self):
        return f"{self.sku_id}@{self.warehouse_id} as of {self.as_of}"


class ImportKind(models.TextChoices):
    TIKTOK_ORDERS = "tiktok_orders", _("TikTok Shop orders")
    RECEIPTS = "receipts", _("Goods receipts")


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    REFUSED = "refused", _("Refused")
    FAILED = "failed", _("Failed")


class ImportJob(models.Model):
    """An uploaded file imported in the background into one warehouse's ledger."""

    kind = models.CharField(_("kind"), max_length=20, choices=ImportKind.choices)
    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="import_jobs", verbose_name=_("warehouse")
    )
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    status = models.CharField(
        _("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    # [{"row": n or null, "message": "…"}]; `error_total` may exceed the listed ones.
    errors = models.JSONField(_("errors"), default=list, blank=True)
    error_total = models.PositiveIntegerField(_("number of errors"), default=0)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    language = models.CharField(_("language"), max_length=10, blank=True)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        indexes = [models.Index(fields=["warehouse", "-created_at"], name="importjob_wh_created")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.original_name} ({self.get_status_display()})"

    def get_absolute_url(self):
        return reverse("inventory:import_detail", args=[self.pk])

    @property
    def finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.REFUSED, ImportStatus.FAILED)


class TurnoverBand(models.TextChoices):
    """Where annualised turnover sits against the healthy band (DOMAIN.md "Turnover")."""

    BELOW = "below", _("Below band (slow capital)")
    IN = "in", _("In band")
    ABOVE = "above", _("Above band (stock-out risk)")


class TurnoverNotice(models.Model):
    """A warehouse, or a category within it, whose trailing annualised turnover left its band.

    Opened and closed by the nightly "turnover band" step; at most one open notice per subject.
    """

    warehouse = models.ForeignKey(
        Warehouse,
        on_delete=models.CASCADE,
        related_name="turnover_notices",
        verbose_name=_("warehouse"),
    )
    # Null: the warehouse as a whole.
    category = models.ForeignKey(
        Category,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="turnover_notices",
        verbose_name=_("category"),
    )
    band = models.CharField(
        _("band"),
        max_length=8,
        choices=[(c.value, c.label) for c in TurnoverBand if c != TurnoverBand.IN],
    )
    annualised_turnover = models.DecimalField(
        _("annualised turnover"), max_digits=14, decimal_places=3
    )
    band_min = models.DecimalField(_("healthy turnover min"), max_digits=6, decimal_places=2)
    band_max = models.DecimalField(_("healthy turnover max"), max_digits=6, decimal_places=2)
    cogs = models.DecimalField(_("COGS"), max_digits=16, decimal_places=2)
    average_inventory_value = models.DecimalField(
        _("average inventory value"), max_digits=16, decimal_places=2
    )
    period_days = models.PositiveIntegerField(_("period (days)"))
    opened_on = models.DateField(_("opened on"))
    checked_on = models.DateField(_("last checked on"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)

    class Meta:
        ordering = ["-opened_on", "-id"]
        verbose_name = _("turnover notice")
        verbose_name_plural = _("turnover notices")
        constraints = [
            models.UniqueConstraint(
                fields=["warehouse"],
                condition=models.Q(closed_on__isnull=True, category__isnull=True),
                name="turnover_notice_one_open_per_warehouse",
            ),
            models.UniqueConstraint(
                fields=["warehouse", "category"],
                condition=models.Q(closed_on__isnull=True, category__isnull=False),
                name="turnover_notice_one_open_per_category",
            ),
        ]

    def __str__(self):
        subject = f"{self.warehouse_id}/{self.category_id or '*'}"
        return f"{subject} {self.band} {self.annualised_turnover}"

    @property
    def is_open(self) -> bool:
        return self.closed_on is None


class AuditEntry(AppendOnlyModel):
    """Who changed what and when, with the values before and after (SKU parameters, approvals).

    Written by the services that make the change, in the same transaction (`inventory.audit`).
    The object is named by type ("inventory.sku") and id, so any app can record its own objects.
    """

    at = models.DateTimeField(_("when"), db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
    )
    action = models.CharField(_("action"), max_length=40)
    object_type = models.CharField(_("object type"), max_length=60)
    object_id = models.CharField(_("object id"), max_length=64)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    source = models.CharField(_("through"), max_length=20, blank=True)
    before = models.JSONField(_("before"), default=dict, blank=True)
    after = models.JSONField(_("after"), default=dict, blank=True)

    change_refused = _("Audit history cannot be changed.")
    delete_refused = _("Audit history cannot be deleted.")

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit history")
        indexes = [
            models.Index(fields=["object_type", "object_id", "-at"], name="audit_object_at"),
        ]

    def __str__(self):
        return f"{self.action} {self.object_type}:{self.object_id}"


class AdminNotice(models.Model):
    """Something an admin must look at (a ledger mismatch found by the nightly check).

    At most one open notice per kind; the job that raised it closes it when the problem is gone.
    """

    kind = models.CharField(_("kind"), max_length=40)
    title = models.CharField(_("title"), max_length=200)
    detail = models.TextField(_("detail"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    opened_at = models.DateTimeField(_("opened at"))
    last_seen_at = models.DateTimeField(_("last seen at"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
        help_text=_("Empty: closed by the next check that found nothing wrong."),
    )

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("admin notice")
        verbose_name_plural = _("admin notices")
        constraints = [
            models.UniqueConstraint(
                fields=["kind"],
                condition=models.Q(resolved_at__isnull=True),
                name="admin_notice_one_open_per_kind",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


class DailyStock(models.Model):
    """What the ledger did per (warehouse, SKU, local day), summed: the nightly job reads this
    instead of the movements (PERFORMANCE-NOTES.md: re-reading history is what costs).

    Written by the posting service in the posting's transaction (one upsert per touched day,
    under the balance lock it already holds), in bulk by `seed_demo`, and rebuilt from the
    ledger by `recompute --full`, which proves the two equal. `touched` marks days changed
    since the nightly job last looked. No foreign-key constraints in the database: the rows are
    derived, and the posting path stays one cheap statement.
    """

    # The unique (warehouse, SKU, day) index serves warehouse lookups: no index of its own.
    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    sku = models.ForeignKey(SKU, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    day = models.DateField()
    sold = models.IntegerField(default=0)
    returned = models.IntegerField(default=0)
    inflow = models.IntegerField(default=0)
    outflow = models.IntegerField(default=0)
    # SALE and RETURN value at posting cost, in 1/10,000 of the currency (exact on SQLite too).
    cogs_e4 = models.BigIntegerField(default=0)
    touched = models.BooleanField(default=True)

    class Meta:
        # Internal (no page or admin shows it): no translated names.
        verbose_name = "daily stock"
        verbose_name_plural = "daily stock"
        constraints = [
            models.UniqueConstraint(fields=["warehouse", "sku", "day"], name="dailystock_unique"),
        ]
        indexes = [
            models.Index(
                fields=["day"], name="dailystock_touched", condition=models.Q(touched=True)
            ),
            models.Index(fields=["day"], name="dailystock_day"),
            # The nightly ageing reads the inbound days of each pair that moved with an
            # index-only scan (PostgreSQL; SQLite ignores INCLUDE): the rollup is laid out by
            # day, so a pair's rows sit on as many pages as it has days.
            models.Index(
                fields=["warehouse", "sku", "day"],
                include=["inflow"],
                name="dailystock_inbound_pair",
                condition=models.Q(inflow__gt=0),
            ),
        ]

    def __str__(self):
        return f"{self.sku_id}@{self.warehouse_id} {self.day}"


class FactsState(models.Model):
    """One row: the day the SkuFacts window state is as of, so the next nightly run knows how
    far to slide it (none: rebuild everything)."""

    as_of = models.DateField(null=True)
    previous_as_of = models.DateField(null=True)
    # When the run that brought the state to `as_of` started, and the one before it: rows
    # stamped since the former changed in this run; parameters saved since the latter are new.
    run_started_at = models.DateTimeField(null=True)
    previous_run_started_at = models.DateTimeField(null=True)
    incremental = models.BooleanField(default=False)
    # The start of the last run whose every step committed. The steps that work only on what
    # changed in a run redo everything after a run that stopped midway (window.RunState).
    completed_run_started_at = models.DateTimeField(null=True)

    class Meta:
        verbose_name = "facts state"
        verbose_name_plural = "facts state"

    def __str__(self):
        return f"facts as of {self.as_of}"
