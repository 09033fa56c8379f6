import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from alerts import formulas
from alerts.models import AdAdvice, Alert, PlanningFigures, StockStatus
from alerts.selectors import abc_class_is
from inventory.choices import ReadOnceModelChoiceFilter
from inventory.models import ABCClass, Supplier
from inventory.selectors import warehouses_for


def _user_warehouses(request):
    return warehouses_for(request.user) if request else None


class ReplenishmentFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    warehouse = ReadOnceModelChoiceFilter(
        queryset=_user_warehouses, to_field_name="code", label=_("Warehouse")
    )
    supplier = ReadOnceModelChoiceFilter(
        field_name="sku__supplier", queryset=Supplier.objects.all(), label=_("Supplier")
    )
    status = django_filters.ChoiceFilter(
        choices=StockStatus.choices, method="filter_status", label=_("Status")
    )
    abc = django_filters.ChoiceFilter(
        choices=ABCClass.choices, method="filter_abc", label=_("ABC class")
    )
    ad_advice = django_filters.ChoiceFilter(choices=AdAdvice.choices, label=_("Ad advice"))

    class Meta:
        model = PlanningFigures
        fields = ["q", "warehouse", "supplier", "status", "abc", "ad_advice"]

    def filter_abc(self, queryset, name, value):
        return abc_class_is(queryset, value)

    def filter_status(self, queryset, name, value):
        # The urgency is the status's rank (one to one, formulas.urgency) and is indexed with
        # the warehouse; the status is not: 10k rows filtered in 7.6 ms -> 0.8 ms at 20k SKUs.
        return queryset.filter(urgency=formulas.urgency(value))

    def search(self, queryset, name, value):
        return queryset.filter(Q(sku__seller_sku__icontains=value) | Q(sku__name__icontains=value))


class AdAdviceFilter(django_filters.FilterSet):
    warehouse = django_filters.ModelChoiceFilter(
        queryset=_user_warehouses, to_field_name="code", label=_("Warehouse")
    )
    ad_advice = django_filters.ChoiceFilter(choices=AdAdvice.choices, label=_("Ad advice"))

    class Meta:
        model = PlanningFigures
        fields = ["warehouse", "ad_advice"]


class AlertFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(
        choices=[("open", pgettext_lazy("alert state", "Open")), ("resolved", _("Resolved"))],
        method="filter_state",
        label=_("Open or resolved"),
        empty_label=_("All"),
    )
    warehouse = django_filters.ModelChoiceFilter(
        queryset=_user_warehouses, to_field_name="code", label=_("Warehouse")
    )
    status = django_filters.ChoiceFilter(choices=StockStatus.choices[:3], label=_("Status"))

    class Meta:
        model = Alert
        fields = ["state", "warehouse", "status"]

    def filter_state(self, queryset, name, value):
        return queryset.filter(resolved_at__isnull=value == "open")
