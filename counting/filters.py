import django_filters
from django.utils.translation import gettext_lazy as _

from counting.models import CountKind, CountSession, SessionStatus
from inventory.selectors import warehouses_for


def _user_warehouses(request):
    return warehouses_for(request.user) if request else None


class CountSessionFilter(django_filters.FilterSet):
    warehouse = django_filters.ModelChoiceFilter(
        queryset=_user_warehouses, to_field_name="code", label=_("Warehouse")
    )
    kind = django_filters.ChoiceFilter(choices=CountKind.choices, label=_("Kind"))
    status = django_filters.ChoiceFilter(choices=SessionStatus.choices, label=_("Status"))

    class Meta:
        model = CountSession
        fields = ["warehouse", "kind", "status"]
