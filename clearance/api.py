"""REST API (DOMAIN.md "Interfaces"): `ageing/`, `clearance-batches/` and their decisions.

Objects are named by natural keys (warehouse `code`, SKU `seller_sku`); everything is scoped to
the user's warehouses (another warehouse answers 404); deciding needs the APPROVE capability.
"""

from datetime import date

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from clearance import selectors, services
from clearance.models import BatchStatus, ClearanceBatch, ClearanceLine, LineDecision, Strategy
from inventory.ageing import ageing_rows
from inventory.models import SKU
from inventory.permissions import api_capability
from inventory.roles import Capability, can
from inventory.selectors import warehouses_for

# --- ageing ---------------------------------------------------------------------------------


class AgeingRowSerializer(serializers.Serializer):
    warehouse = serializers.CharField()
    sku = serializers.CharField()
    name = serializers.CharField()
    category = serializers.CharField()
    on_hand = serializers.IntegerField()
    units_0_30 = serializers.IntegerField()
    units_31_60 = serializers.IntegerField()
    units_61_90 = serializers.IntegerField()
    units_91_180 = serializers.IntegerField()
    units_over_180 = serializers.IntegerField()
    value_0_30 = serializers.DecimalField(max_digits=20, decimal_places=2)
    value_31_60 = serializers.DecimalField(max_digits=20, decimal_places=2)
    value_61_90 = serializers.DecimalField(max_digits=20, decimal_places=2)
    value_91_180 = serializers.DecimalField(max_digits=20, decimal_places=2)
    value_over_180 = serializers.DecimalField(max_digits=20, decimal_places=2)
    value = serializers.DecimalField(max_digits=20, decimal_places=2)
    oldest_unit_age_days = serializers.IntegerField(allow_null=True)
    as_of = serializers.DateField()


def _parse_day(value: str | None, name: str) -> date:
    if not value:
        return timezone.localdate()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise exceptions.ValidationError(
            {name: [_("Use the date format YYYY-MM-DD, not %(value)s.") % {"value": value}]}
        ) from None


class AgeingView(generics.ListAPIView):
    """Per (warehouse, SKU) with stock at the end of `as_of`: FIFO units and value per age
    bucket and the oldest unit's age."""

    permission_classes = [api_capability(Capability.VIEW_STOCK)]
    serializer_class = AgeingRowSerializer

    def get_queryset(self):
        params = self.request.query_params
        user = self.request.user
        as_of = _parse_day(params.get("as_of"), "as_of")
        if code := params.get("warehouse"):
            warehouses = [get_object_or_404(warehouses_for(user), code=code)]
        else:
            warehouses = list(warehouses_for(user))
        sku_ids = None
        if seller_sku := params.get("sku"):
            sku_ids = [get_object_or_404(SKU, seller_sku=seller_sku).pk]
        rows = ageing_rows(warehouses, as_of, sku_ids=sku_ids)
        return [{**row.as_dict(), "as_of": as_of} for row in rows]

    @extend_schema(
        parameters=[
            OpenApiParameter("warehouse", OpenApiTypes.STR, description="warehouse code"),
            OpenApiParameter("as_of", OpenApiTypes.DATE, description="default: today"),
            OpenApiParameter("sku", OpenApiTypes.STR, description="seller SKU"),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


# --- clearance batches ----------------------------------------------------------------------


class ClearanceLineSerializer(serializers.ModelSerializer):
    sku = serializers.SlugRelatedField(slug_field="seller_sku", read_only=True)
    bundle_with = serializers.SlugRelatedField(slug_field="seller_sku", read_only=True)
    reason = serializers.CharField(read_only=True)
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    done_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    movement = serializers.SerializerMethodField()
    units_cleared = serializers.SerializerMethodField()
    capital_recovered = serializers.SerializerMethodField()

    class Meta:
        model = ClearanceLine
        fields = [
            "id",
            "sku",
            "units",
            "age_days",
            "unit_cost",
            "unit_price",
            "capital",
            "recent_sales",
            "window_sales",
            "suggested_strategy",
            "suggested_discount",
            "bundle_with",
            "reason",
            "decision",
            "strategy",
            "quantity",
            "discount",
            "decided_by",
            "decided_at",
            "done",
            "done_by",
            "done_at",
            "movement",
            "units_cleared",
            "capital_recovered",
        ]
        read_only_fields = fields

    def get_movement(self, line) -> str | None:
        return line.movement.external_ref if line.movement_id else None

    def get_units_cleared(self, line) -> int:
        return line.progress.units_cleared

    def get_capital_recovered(self, line) -> str:
        return f"{line.progress.capital_recovered:.2f}"


class ClearanceBatchSerializer(serializers.ModelSerializer):
    warehouse = serializers.SlugRelatedField(slug_field="code", read_only=True)
    proposed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    closed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    line_count = serializers.IntegerField(read_only=True)
    total_units = serializers.IntegerField(read_only=True)
    total_capital = serializers.DecimalField(max_digits=20, decimal_places=2, read_only=True)
    units_cleared = serializers.SerializerMethodField()
    capital_recovered = serializers.SerializerMethodField()

    class Meta:
        model = ClearanceBatch
        fields = [
            "id",
            "warehouse",
            "status",
            "origin",
            "facts_as_of",
            "created_at",
            "proposed_by",
            "decided_by",
            "decided_at",
            "decision_comment",
            "closed_by",
            "closed_at",
            "close_comment",
            "line_count",
            "total_units",
            "total_capital",
            "units_cleared",
            "capital_recovered",
        ]
        read_only_fields = fields

    def _progress(self, batch) -> selectors.Progress:
        return self.context.get("progress", {}).get(batch.pk) or selectors.Progress()

    def get_units_cleared(self, batch) -> int:
        return self._progress(batch).units_cleared

    def get_capital_recovered(self, batch) -> str:
        return f"{self._progress(batch).capital_recovered:.2f}"


class ClearanceBatchDetailSerializer(ClearanceBatchSerializer):
    lines = serializers.SerializerMethodField()

    class Meta(ClearanceBatchSerializer.Meta):
        fields = [*ClearanceBatchSerializer.Meta.fields, "lines"]
        read_only_fields = fields

    def get_lines(self, batch) -> list[dict]:
        return ClearanceLineSerializer(self.context["lines"], many=True).data


class LineDecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=LineDecision.choices, required=False)
    strategy = serializers.ChoiceField(choices=Strategy.choices, required=False)
    quantity = serializers.IntegerField(min_value=1, required=False)
    discount = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=95, required=False, allow_null=True
    )


class CommentSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000)


def _refuse(exc: DjangoValidationError):
    raise exceptions.ValidationError({"detail": exc.messages}) from exc


class ClearanceBatchViewSet(viewsets.ReadOnlyModelViewSet):
    """Clearance batches of the user's warehouses. `?warehouse=CODE&status=proposed`."""

    permission_classes = [api_capability(Capability.VIEW_STOCK)]
    serializer_class = ClearanceBatchSerializer
    queryset = ClearanceBatch.objects.none()  # for the schema; get_queryset scopes by user

    def get_queryset(self):
        batches = selectors.batches_for(self.request.user)
        params = self.request.query_params
        if code := params.get("warehouse"):
            batches = batches.filter(warehouse__code=code)
        if status := params.get("status"):
            if status not in BatchStatus.values:
                raise exceptions.ValidationError({"status": [_("Unknown status.")]})
            batches = batches.filter(status=status)
        return batches

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        progress = selectors.batches_progress([batch.pk for batch in page])
        data = ClearanceBatchSerializer(page, many=True, context={"progress": progress}).data
        return self.get_paginated_response(data)

    def _detail(self, batch: ClearanceBatch) -> Response:
        batch = selectors.batch_for_user(self.request.user, batch.pk)
        lines = selectors.batch_lines(batch)
        total = selectors.Progress()
        for line in lines:
            total.add(line.progress)
        context = {"lines": lines, "progress": {batch.pk: total}}
        return Response(ClearanceBatchDetailSerializer(batch, context=context).data)

    @extend_schema(responses=ClearanceBatchDetailSerializer)
    def retrieve(self, request, *args, **kwargs):
        return self._detail(self.get_object())

    def _require_approve(self):
        if not can(self.request.user, Capability.APPROVE):
            raise exceptions.PermissionDenied(_("Only a manager may decide clearance batches."))

    def _comment(self) -> str:
        serializer = CommentSerializer(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data.get("comment", "")

    @extend_schema(request=CommentSerializer, responses=ClearanceBatchDetailSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        self._require_approve()
        batch = self.get_object()
        try:
            services.batch_approve(batch=batch, user=request.user, comment=self._comment())
        except DjangoValidationError as exc:
            _refuse(exc)
        return self._detail(batch)

    @extend_schema(request=CommentSerializer, responses=ClearanceBatchDetailSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        self._require_approve()
        batch = self.get_object()
        try:
            services.batch_reject(batch=batch, user=request.user, comment=self._comment())
        except DjangoValidationError as exc:
            _refuse(exc)
        return self._detail(batch)

    @extend_schema(request=CommentSerializer, responses=ClearanceBatchDetailSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        self._require_approve()
        batch = self.get_object()
        try:
            services.batch_close(batch=batch, user=request.user, comment=self._comment())
        except DjangoValidationError as exc:
            _refuse(exc)
        return self._detail(batch)

    def _line(self, batch: ClearanceBatch, line_pk: str) -> ClearanceLine:
        line = selectors.lines_with_progress([batch.pk]).filter(pk=int(line_pk)).first()
        if line is None:
            raise exceptions.NotFound()
        line.progress = selectors.line_progress(line)
        return line

    @extend_schema(request=LineDecisionSerializer, responses=ClearanceLineSerializer)
    @action(detail=True, methods=["get", "patch"], url_path=r"lines/(?P<line_pk>[0-9]+)")
    def line(self, request, pk=None, line_pk=None):
        """Read a line, or PATCH its `decision`, `strategy`, `quantity`, `discount`."""
        batch = self.get_object()
        line = self._line(batch, line_pk)
        if request.method == "PATCH":
            self._require_approve()
            serializer = LineDecisionSerializer(data=request.data, partial=True)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
            edit = services.LineEdit(
                line_id=line.pk,
                decision=data.get("decision", line.decision),
                strategy=data.get("strategy", line.strategy),
                quantity=data.get("quantity", line.quantity),
                discount=data.get("discount", line.discount),
            )
            try:
                services.lines_update(batch=batch, user=request.user, edits=[edit])
            except DjangoValidationError as exc:
                _refuse(exc)
            line = self._line(batch, line_pk)
        return Response(ClearanceLineSerializer(line).data)

    @extend_schema(request=None, responses=ClearanceLineSerializer)
    @action(detail=True, methods=["post"], url_path=r"lines/(?P<line_pk>[0-9]+)/done")
    def line_done(self, request, pk=None, line_pk=None):
        """Mark an approved line done (posts its CLEARANCE_OUT / WRITE_OFF once)."""
        self._require_approve()
        batch = self.get_object()
        line = self._line(batch, line_pk)
        try:
            services.line_mark_done(line=line, user=request.user)
        except DjangoValidationError as exc:
            _refuse(exc)
        return Response(ClearanceLineSerializer(self._line(batch, line_pk)).data)
