"""API representations. Objects are named by natural keys: warehouse `code`, SKU `seller_sku`,
supplier `name`, purchase order `number`."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from inventory.models import (
    INBOUND_KINDS,
    OUTBOUND_KINDS,
    SKU,
    MovementKind,
    PurchaseOrder,
    PurchaseOrderLine,
    StockBalance,
    Supplier,
    Warehouse,
)
from inventory.purchasing.receipts import RECEIPT_REF_MAX_LENGTH, ReceiptLine
from inventory.purchasing.services import OrderLine


class NaturalKeyImmutableMixin:
    """The natural key is given at creation; an update may repeat it but not change it."""

    natural_key: str

    def validate(self, attrs):
        attrs = super().validate(attrs)
        key = self.natural_key
        if self.instance is not None and key in attrs:
            if attrs[key] != getattr(self.instance, key):
                raise serializers.ValidationError({key: _("This natural key cannot be changed.")})
            del attrs[key]
        return attrs


class WarehouseSerializer(NaturalKeyImmutableMixin, serializers.ModelSerializer):
    natural_key = "code"

    class Meta:
        model = Warehouse
        fields = ["code", "name", "timezone", "allow_negative_stock"]


class SupplierSerializer(NaturalKeyImmutableMixin, serializers.ModelSerializer):
    natural_key = "name"

    class Meta:
        model = Supplier
        fields = ["name", "email", "lead_time_days", "logistics_days", "lead_time_std_days"]


class SKUSerializer(NaturalKeyImmutableMixin, serializers.ModelSerializer):
    natural_key = "seller_sku"
    category = serializers.CharField(
        max_length=120,
        allow_null=True,
        allow_blank=True,
        required=False,
        help_text=_("Category name; a new name creates the category."),
    )
    supplier = serializers.SlugRelatedField(
        slug_field="name", queryset=Supplier.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = SKU
        fields = [
            "seller_sku",
            "tiktok_sku_id",
            "name",
            "category",
            "unit_cost",
            "unit_price",
            "supplier",
            "lead_time_days",
            "logistics_days",
            "lead_time_std_days",
            "service_level",
            "moq",
            "case_pack",
            "active",
        ]


class _KnownFirstSlugField(serializers.SlugRelatedField):
    """A slug field that takes the object from `context[context_key]` (read by the view for the
    whole request in one query) and asks the database only for a slug it has not seen."""

    def __init__(self, *, context_key: str, **kwargs):
        self.context_key = context_key
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        known = self.context.get(self.context_key)
        if known and isinstance(data, str) and data in known:
            return known[data]
        return super().to_internal_value(data)


class MovementSerializer(serializers.Serializer):
    """`quantity` is the signed change of on-hand: a sale of 3 is -3.

    A plain Serializer with the model's fields spelled out: a ModelSerializer rebuilds its
    fields from the model on every request, which costs more than the posting's SQL.
    """

    id = serializers.IntegerField(label="ID", read_only=True)
    warehouse = _KnownFirstSlugField(
        context_key="warehouses", slug_field="code", queryset=Warehouse.objects.all()
    )
    sku = _KnownFirstSlugField(
        context_key="skus", slug_field="seller_sku", queryset=SKU.objects.all()
    )
    kind = serializers.ChoiceField(choices=MovementKind.choices)
    quantity = serializers.IntegerField(min_value=-10_000_000, max_value=10_000_000)
    occurred_at = serializers.DateTimeField(required=False)
    unit_cost = serializers.DecimalField(
        max_digits=12, decimal_places=4, min_value=0, required=False, allow_null=True
    )
    external_ref = serializers.CharField(
        max_length=128, required=False, allow_null=True, allow_blank=False
    )
    source = serializers.CharField(read_only=True)
    note = serializers.CharField(max_length=255, required=False, allow_blank=True)
    user = serializers.CharField(source="user.username", read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)

    def validate(self, attrs):
        kind, quantity = attrs["kind"], attrs["quantity"]
        if quantity == 0:
            raise serializers.ValidationError({"quantity": _("The quantity must not be zero.")})
        if kind in INBOUND_KINDS and quantity < 0:
            raise serializers.ValidationError(
                {"quantity": _("This kind adds stock: the quantity must be positive.")}
            )
        if kind in OUTBOUND_KINDS and quantity > 0:
            raise serializers.ValidationError(
                {"quantity": _("This kind removes stock: the quantity must be negative.")}
            )
        occurred_at = attrs.get("occurred_at")
        latest = timezone.now() + timedelta(days=settings.STOCKWISE["MAX_FUTURE_DAYS"])
        if occurred_at is not None and occurred_at > latest:
            raise serializers.ValidationError(
                {"occurred_at": _("The movement is dated in the future.")}
            )
        if self.context.get("batch") and not attrs.get("external_ref"):
            # In a batch every movement names itself, so a retried batch posts nothing twice.
            raise serializers.ValidationError(
                {"external_ref": self.fields["external_ref"].error_messages["required"]}
            )
        return attrs


class StockSerializer(serializers.ModelSerializer):
    """One row per (warehouse, SKU). on_hand and on_order are live; the planning figures are as
    of the last recompute (`computed_at`) and null until the planning steps fill them."""

    warehouse = serializers.CharField(source="warehouse.code")
    sku = serializers.CharField(source="sku.seller_sku")
    on_order = serializers.IntegerField()
    avg_daily_demand = serializers.FloatField(allow_null=True)
    demand_std = serializers.FloatField(allow_null=True)
    lead_time_days = serializers.IntegerField(allow_null=True)
    safety_stock = serializers.SerializerMethodField()
    reorder_point = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField()
    days_of_cover = serializers.SerializerMethodField()
    suggested_order_qty = serializers.SerializerMethodField()
    ad_advice = serializers.SerializerMethodField()
    abc_class = serializers.CharField(allow_null=True)
    oldest_unit_age_days = serializers.IntegerField(allow_null=True)
    slow_mover = serializers.BooleanField(allow_null=True)
    computed_at = serializers.DateTimeField(allow_null=True)

    class Meta:
        model = StockBalance
        fields = [
            "warehouse",
            "sku",
            "on_hand",
            "on_order",
            "avg_daily_demand",
            "demand_std",
            "lead_time_days",
            "safety_stock",
            "reorder_point",
            "status",
            "days_of_cover",
            "suggested_order_qty",
            "ad_advice",
            "abc_class",
            "oldest_unit_age_days",
            "slow_mover",
            "computed_at",
        ]

    # Added by the apps that own them (hooks.stock_row_annotators); null until computed.
    def _planned(self, obj, name):
        return getattr(obj, f"planned_{name}", None)

    def get_safety_stock(self, obj) -> int | None:
        return self._planned(obj, "safety_stock")

    def get_reorder_point(self, obj) -> int | None:
        return self._planned(obj, "reorder_point")

    def get_status(self, obj) -> str | None:
        return self._planned(obj, "status")

    def get_days_of_cover(self, obj) -> float | None:
        return self._planned(obj, "days_of_cover")

    def get_suggested_order_qty(self, obj) -> int | None:
        return self._planned(obj, "suggested_order_qty")

    def get_ad_advice(self, obj) -> str | None:
        return self._planned(obj, "ad_advice")

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not data["abc_class"]:
            data["abc_class"] = None
        return data


class PurchaseOrderLineSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(max_length=64, help_text=_("Seller SKU."))
    quantity = serializers.IntegerField(min_value=1, max_value=10_000_000)
    unit_cost = serializers.DecimalField(
        max_digits=12, decimal_places=4, min_value=0, required=False, allow_null=True
    )
    open_quantity = serializers.IntegerField(read_only=True)

    class Meta:
        model = PurchaseOrderLine
        fields = [
            "sku",
            "quantity",
            "received_quantity",
            "open_quantity",
            "unit_cost",
            "expected_date",
            "first_received_at",
            "actual_lead_time_days",
        ]
        read_only_fields = ["received_quantity", "first_received_at", "actual_lead_time_days"]


def _skus_by_code(codes: list[str], field: str) -> dict[str, SKU]:
    skus = SKU.objects.in_bulk(set(codes), field_name="seller_sku")
    errors = [
        {"sku": [_("No SKU with seller SKU “%(code)s”.") % {"code": code}]}
        if code not in skus
        else {}
        for code in codes
    ]
    if any(errors):
        raise serializers.ValidationError({field: errors})
    return skus


class PurchaseOrderSerializer(serializers.ModelSerializer):
    warehouse = serializers.SlugRelatedField(slug_field="code", queryset=Warehouse.objects.all())
    supplier = serializers.SlugRelatedField(slug_field="name", queryset=Supplier.objects.all())
    lines = PurchaseOrderLineSerializer(many=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = PurchaseOrder
        fields = [
            "number",
            "warehouse",
            "supplier",
            "status",
            "ordered_at",
            "note",
            "lines",
            "created_by",
            "created_at",
        ]
        read_only_fields = ["number", "status", "ordered_at", "created_by", "created_at"]

    def validate_lines(self, lines):
        if not lines:
            raise serializers.ValidationError(_("A purchase order needs at least one line."))
        return lines

    def validate(self, attrs):
        lines = attrs["lines"]
        skus = _skus_by_code([line["sku"] for line in lines], "lines")
        attrs["order_lines"] = [
            OrderLine(
                sku=skus[line["sku"]],
                quantity=line["quantity"],
                unit_cost=line.get("unit_cost"),
                expected_date=line.get("expected_date"),
            )
            for line in lines
        ]
        return attrs


class ReceiptLineSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64, help_text=_("Seller SKU."))
    quantity = serializers.IntegerField(min_value=1, max_value=10_000_000)


class ReceiveSerializer(serializers.Serializer):
    """Goods that arrived on an order. Repeating `external_ref` receives them once."""

    lines = ReceiptLineSerializer(many=True, allow_empty=False)
    received_at = serializers.DateTimeField(required=False)
    external_ref = serializers.CharField(
        max_length=RECEIPT_REF_MAX_LENGTH, required=False, allow_blank=False
    )

    def validate(self, attrs):
        skus = _skus_by_code([line["sku"] for line in attrs["lines"]], "lines")
        attrs["receipt_lines"] = [
            ReceiptLine(sku=skus[line["sku"]], quantity=line["quantity"]) for line in attrs["lines"]
        ]
        return attrs


class AuthTokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()
