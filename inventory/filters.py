import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from inventory.models import SKU, Category, MovementKind, StockMovement, Supplier
from inventory.selectors import warehouses_for


class SKUFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    category = django_filters.ModelChoiceFilter(
        queryset=Category.objects.all(), label=_("Category")
    )
    supplier = django_filters.ModelChoiceFilter(
        queryset=Supplier.objects.all(), label=_("Supplier")
    )
    active = django_filters.BooleanFilter(label=_("Active"))

    class Meta:
        model = SKU
        fields = ["q", "category", "supplier", "active"]

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(seller_sku__icontains=value)
            | Q(name__icontains=value)
            | Q(tiktok_sku_id=value)
            | Q(barcode=value)
        )


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
