"""REST API: `alerts/?status=open|resolved`, `ad-advice/?warehouse=` (DOMAIN.md "Interfaces")."""

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.response import Response

from alerts import selectors, services
from alerts.models import Alert, PlanningFigures
from inventory.api.pagination import KeysFirstPagination
from inventory.permissions import api_capability
from inventory.roles import Capability
from inventory.selectors import warehouse_for_user


class AlertSerializer(serializers.ModelSerializer):
    warehouse = serializers.CharField(source="warehouse.code")
    sku = serializers.CharField(source="sku.seller_sku")
    acknowledged_by = serializers.CharField(
        source="acknowledged_by.username", default=None, allow_null=True
    )
    state = serializers.SerializerMethodField()
    # Same values as `status`; plain strings keep one enum in the OpenAPI schema.
    opened_status = serializers.CharField(read_only=True)
    resolved_status = serializers.CharField(read_only=True)

    class Meta:
        model = Alert
        fields = [
            "id",
            "warehouse",
            "sku",
            "state",
            "status",
            "opened_status",
            "severity",
            "on_hand_at_open",
            "on_order_at_open",
            "safety_stock_units",
            "reorder_point_units",
            "trigger",
            "opened_at",
            "acknowledged_at",
            "acknowledged_by",
            "resolved_at",
            "resolved_status",
        ]
        read_only_fields = fields

    def get_state(self, obj) -> str:
        return "open" if obj.resolved_at is None else "resolved"


class AdAdviceSerializer(serializers.ModelSerializer):
    warehouse = serializers.CharField(source="warehouse.code")
    sku = serializers.CharField(source="sku.seller_sku")
    slow_mover = serializers.BooleanField(allow_null=True)

    class Meta:
        model = PlanningFigures
        fields = [
            "warehouse",
            "sku",
            "ad_advice",
            "status",
            "on_hand",
            "days_of_cover",
            "lead_time_days",
            "slow_mover",
            "computed_at",
        ]
        read_only_fields = fields


def _warehouse_param(request):
    code = request.query_params.get("warehouse")
    return warehouse_for_user(request.user, code) if code else None


class AlertViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Stock alerts of your warehouses. `?status=open|resolved`, `?warehouse=CODE`."""

    serializer_class = AlertSerializer
    pagination_class = KeysFirstPagination
    permission_classes = [api_capability(Capability.VIEW_ALERTS)]

    def get_queryset(self):
        rows = selectors.alerts_for(self.request.user)
        state = self.request.query_params.get("status")
        if state not in (None, "", "open", "resolved"):
            raise ApiValidationError({"status": _("Use open or resolved.")})
        if state:
            rows = rows.filter(resolved_at__isnull=state == "open")
        if self.action == "list" and (warehouse := _warehouse_param(self.request)):
            rows = rows.filter(warehouse=warehouse)
        return rows

    @extend_schema(
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, enum=["open", "resolved"]),
            OpenApiParameter("warehouse", OpenApiTypes.STR),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=None, responses=AlertSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        alert = get_object_or_404(selectors.alerts_for(request.user), pk=pk)
        try:
            alert = services.alert_acknowledge(alert=alert, user=request.user)
        except ValidationError as exc:
            return Response({"detail": " ".join(exc.messages)}, status=status.HTTP_409_CONFLICT)
        return Response(AlertSerializer(alert).data)


class AdAdviceViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Ad advice per (warehouse, SKU) as of the last recompute; `?warehouse=CODE`."""

    serializer_class = AdAdviceSerializer
    permission_classes = [api_capability(Capability.VIEW_ALERTS)]

    def get_queryset(self):
        rows = selectors.ad_advice_rows(self.request.user)
        if warehouse := _warehouse_param(self.request):
            rows = rows.filter(warehouse=warehouse)
        return rows

    @extend_schema(parameters=[OpenApiParameter("warehouse", OpenApiTypes.STR)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)
