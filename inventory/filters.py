import django_filters
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from inventory.choices import ReadOnceModelChoiceFilter
from inventory.models import (
    SKU,
    Category,
    MovementKind,
    StockBalance,
    StockMovement,
    Supplier,
    Warehouse,
)
from inventory.selectors import warehouses_for


class SKUFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    category = ReadOnceModelChoiceFilter(queryset=Category.objects.all(), label=_("Category"))
    supplier = ReadOnceModelChoiceFilter(queryset=Supplier.objects.all(), label=_("Supplier"))
    active = django_filters.BooleanFilter(label=_("Active"))
    stock = django_filters.ChoiceFilter(
        choices=[("out", _("Out of stock"))], method="filter_stock", label=_("Stock")
    )

    class Meta:
        model = SKU
        fields = ["q", "category", "supplier", "active", "stock"]

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(seller_sku__icontains=value)
            | Q(name__icontains=value)
            | Q(tiktok_sku_id=value)
            | Q(barcode=value)
        )

    def filter_stock(self, queryset, name, value):
        """Out of stock: active, with nothing on hand in one of the user's warehouses (the
        dashboard's "SKUs out of stock" tile counts the same SKUs)."""
        if value != "out" or self.request is None:
            return queryset
        empty = StockBalance.objects.filter(
            sku=OuterRef("pk"), warehouse__members=self.request.user, on_hand__lte=0
        )
        return queryset.filter(Exists(empty), active=True)


def _user_warehouses(request):
    return warehouses_for(request.user) if request else None


class MovementFilter(django_filters.FilterSet):
    warehouse = django_filters.ModelChoiceFilter(queryset=_user_warehouses, label=_("Warehouse"))
    sku = django_filters.CharFilter(field_name="sku__seller_sku", label=_("Seller SKU"))
    kind = django_filters.ChoiceFilter(choices=MovementKind.choices, label=_("Kind"))
    occurred_after = django_filters.DateFilter(
        field_name="occurred_at", lookup_expr="date__gte", label=_("From")
    )
    occurred_before = django_filters.DateFilter(
        field_name="occurred_at", lookup_expr="date__lte", label=_("To")
    )

    class Meta:
        model = StockMovement
        fields = ["warehouse", "sku", "kind"]


class WarehouseFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))

    class Meta:
        model = Warehouse
        fields = ["q"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(code__icontains=value) | Q(name__icontains=value))
