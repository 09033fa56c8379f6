import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clearance.models import BatchStatus, ClearanceBatch
from inventory.models import Category, SkuFacts
from inventory.selectors import warehouses_for


def _user_warehouses(request):
    return warehouses_for(request.user) if request else None


class SlowMoverFilter(django_filters.FilterSet):
    warehouse = django_filters.ModelChoiceFilter(
        queryset=_user_warehouses, to_field_name="code", label=_("Warehouse")
    )
    category = django_filters.ModelChoiceFilter(
        field_name="sku__category", queryset=Category.objects.all(), label=_("Category")
    )
    q = django_filters.CharFilter(method="search", label=_("Search"))

    class Meta:
        model = SkuFacts
        fields = ["warehouse", "category", "q"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(sku__seller_sku__icontains=value) | Q(sku__name__icontains=value))


class BatchFilter(django_filters.FilterSet):
    warehouse = django_filters.ModelChoiceFilter(
        queryset=_user_warehouses, to_field_name="code", label=_("Warehouse")
    )
    status = django_filters.ChoiceFilter(choices=BatchStatus.choices, label=_("Status"))

    class Meta:
        model = ClearanceBatch
        fields = ["warehouse", "status"]
