"""GET /api/v1/turnover/?warehouse=&start=&end=&group=sku|category|warehouse|business

One row per group over the period, worst offenders first (DOMAIN.md "Turnover"): `cogs`,
`average_inventory_value`, `turnover`, `annualised_turnover`, `dio` (null where undefined: no
stock held, or no sales for DIO) and `band` (below / in / above, null with no stock). Dates
default to the trailing TURNOVER_TRAILING_DAYS ending today; a warehouse code that is not one
of yours answers 404; bad dates or groups answer 400.
"""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from inventory import selectors
from inventory.permissions import api_capability
from inventory.roles import Capability
from inventory.turnover import PUBLIC_GROUPINGS, Grouping, Period, TurnoverRow, turnover_rows
from inventory.turnover_page import TurnoverPageData, pages_in_sql


class TurnoverQuerySerializer(serializers.Serializer):
    warehouse = serializers.CharField(
        required=False, help_text=_("Warehouse code; default all yours.")
    )
    start = serializers.DateField(required=False)
    end = serializers.DateField(required=False)
    group = serializers.ChoiceField(
        choices=[g.value for g in PUBLIC_GROUPINGS], required=False, default=Grouping.SKU.value
    )

    def validate(self, attrs):
        today = timezone.localdate()
        end = attrs.get("end") or today
        start = attrs.get("start") or end - timedelta(
            days=settings.STOCKWISE["TURNOVER_TRAILING_DAYS"] - 1
        )
        if end > today + timedelta(days=1):
            raise serializers.ValidationError({"end": _("The period cannot end in the future.")})
        try:
            attrs["period"] = Period(start, end)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc
        return attrs


class TurnoverRowSerializer(serializers.Serializer):
    sku = serializers.SerializerMethodField(help_text=_("seller_sku (group=sku)"))
    name = serializers.SerializerMethodField(help_text=_("SKU name (group=sku)"))
    category = serializers.SerializerMethodField(help_text=_("category name (group=category)"))
    warehouse = serializers.SerializerMethodField(help_text=_("warehouse code (group=warehouse)"))
    start = serializers.DateField()
    end = serializers.DateField()
    days = serializers.IntegerField()
    cogs = serializers.DecimalField(max_digits=18, decimal_places=2)
    average_inventory_value = serializers.DecimalField(max_digits=18, decimal_places=2)
    stock_value_now = serializers.DecimalField(max_digits=18, decimal_places=2)
    turnover = serializers.DecimalField(max_digits=18, decimal_places=3, allow_null=True)
    annualised_turnover = serializers.DecimalField(max_digits=18, decimal_places=3, allow_null=True)
    dio = serializers.DecimalField(max_digits=18, decimal_places=1, allow_null=True)
    band = serializers.CharField(allow_null=True)
    band_min = serializers.DecimalField(max_digits=8, decimal_places=2)
    band_max = serializers.DecimalField(max_digits=8, decimal_places=2)

    def _named(self, row: TurnoverRow, grouping: str, value: str) -> str | None:
        return value if row.grouping == grouping else None

    def get_sku(self, row) -> str | None:
        return self._named(row, Grouping.SKU, row.label)

    def get_name(self, row) -> str | None:
        return self._named(row, Grouping.SKU, row.detail)

    def get_category(self, row) -> str | None:
        return self._named(row, Grouping.CATEGORY, row.label)

    def get_warehouse(self, row) -> str | None:
        return self._named(row, Grouping.WAREHOUSE, row.label)


class TurnoverAPIView(GenericAPIView):
    """Turnover per SKU, category, warehouse or the whole business over a period, in your
    warehouses (each day in its warehouse's time zone). Worst offenders first."""

    permission_classes = [IsAuthenticated, api_capability(Capability.VIEW_STOCK)]
    serializer_class = TurnoverRowSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("warehouse", str, description="Warehouse code; default all yours"),
            OpenApiParameter("start", str, description="YYYY-MM-DD; default end − 89 days"),
            OpenApiParameter("end", str, description="YYYY-MM-DD; default today"),
            OpenApiParameter(
                "group", str, enum=[g.value for g in PUBLIC_GROUPINGS], description="default sku"
            ),
        ],
    )
    def get(self, request):
        query = TurnoverQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        if code := params.get("warehouse"):
            warehouses = [selectors.warehouse_for_user(request.user, code)]
        else:
            warehouses = list(selectors.warehouses_for(request.user))
        limit = self.paginator.get_limit(request)
        if limit is not None and pages_in_sql(params["group"]):
            # Only the page's rows are built (inventory/turnover_page.py).
            offset = self.paginator.get_offset(request)
            rows = TurnoverPageData(
                warehouses=warehouses, period=params["period"], expected=(offset, limit)
            )
        else:
            rows = turnover_rows(
                warehouses=warehouses, period=params["period"], grouping=params["group"]
            )
        page = self.paginate_queryset(rows)
        if page is None:
            return Response(self.get_serializer(rows, many=True).data)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
