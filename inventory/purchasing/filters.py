import django_filters
from django.utils.translation import gettext_lazy as _

from inventory.models import PurchaseOrder, PurchaseOrderStatus, Supplier
from inventory.selectors import warehouses_for


def _user_warehouses(request):
    return warehouses_for(request.user) if request else None


class PurchaseOrderFilter(django_filters.FilterSet):
    number = django_filters.CharFilter(lookup_expr="icontains", label=_("Number"))
    warehouse = django_filters.ModelChoiceFilter(queryset=_user_warehouses, label=_("Warehouse"))
    supplier = django_filters.ModelChoiceFilter(
        queryset=Supplier.objects.all(), label=_("Supplier")
    )
    status = django_filters.ChoiceFilter(choices=PurchaseOrderStatus.choices, label=_("Status"))

    class Meta:
        model = PurchaseOrder
        fields = ["number", "warehouse", "supplier", "status"]
