"""REST API for counts (DOMAIN.md "Interfaces": count-sessions).

Scoped like the pages (another warehouse's session answers 404) and role-checked (COUNT to
count, APPROVE to approve or reject). A staff member's responses never hold an expected
quantity or a variance; a manager's line listing does.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from counting import selectors, services
from counting.models import CountKind, CountLine, CountSession, EntryPhase
from counting.tables import line_state
from inventory.permissions import api_capability
from inventory.roles import Capability, can
from inventory.selectors import warehouses_for


class CountSessionSerializer(serializers.ModelSerializer):
    warehouse = serializers.SlugRelatedField(slug_field="code", read_only=True)
    counters = serializers.SlugRelatedField(slug_field="username", many=True, read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    approved_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    line_count = serializers.IntegerField(read_only=True)
    counted_count = serializers.IntegerField(read_only=True)
    ira = serializers.SerializerMethodField()

    class Meta:
        model = CountSession
        fields = [
            "id",
            "warehouse",
            "kind",
            "status",
            "scheduled_for",
            "counters",
            "comment",
            "created_by",
            "created_at",
            "started_at",
            "submitted_at",
            "approved_by",
            "approved_at",
            "rejected_at",
            "line_count",
            "counted_count",
            "ira",
        ]

    def get_ira(self, obj) -> float | None:
        judged = getattr(obj, "judged_count", 0)
        return round(obj.within_count / judged, 4) if judged else None


@extend_schema_field(OpenApiTypes.STR)
class UserWarehouseField(serializers.SlugRelatedField):
    """A warehouse by code, among the requesting user's warehouses only."""

    def get_queryset(self):
        return warehouses_for(self.context["request"].user)


class CountSessionCreateSerializer(serializers.Serializer):
    warehouse = UserWarehouseField(slug_field="code")
    kind = serializers.ChoiceField(choices=CountKind.choices)
    skus = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, allow_empty=True
    )
    counters = serializers.SlugRelatedField(
        slug_field="username", many=True, queryset=get_user_model().objects.all(), required=False
    )
    comment = serializers.CharField(required=False, allow_blank=True, max_length=500)


class BlindLineSerializer(serializers.ModelSerializer):
    """A line as a counter may see it."""

    sku = serializers.CharField(source="sku.seller_sku", read_only=True)
    name = serializers.CharField(source="sku.name", read_only=True)
    state = serializers.SerializerMethodField()

    class Meta:
        model = CountLine
        fields = ["id", "sku", "name", "bin", "reason", "state"]

    def get_state(self, obj) -> str:
        return str(line_state(obj))


class ReviewLineSerializer(BlindLineSerializer):
    """A line as a manager reviews it: both counts, expected quantities and variance."""

    class Meta:
        model = CountLine
        fields = [
            *BlindLineSerializer.Meta.fields,
            "abc_class",
            "counted_qty",
            "expected_qty",
            "first_within_tolerance",
            "recount_qty",
            "recount_expected_qty",
            "variance",
        ]


class EntryInSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64, help_text="Seller SKU, TikTok SKU ID or barcode")
    counted = serializers.IntegerField(min_value=0, max_value=1_000_000)
    idempotency_key = serializers.UUIDField(required=False)


class EntryOutSerializer(serializers.Serializer):
    """The answer to a count entry: the line's running total, never the expected quantity."""

    entry = serializers.IntegerField()
    line = serializers.IntegerField()
    sku = serializers.CharField()
    phase = serializers.CharField()
    quantity = serializers.IntegerField()
    counted = serializers.IntegerField()
    created = serializers.BooleanField()


class SubmitInSerializer(serializers.Serializer):
    uncounted_as_zero = serializers.BooleanField(required=False, default=False)


class DecisionInSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


def _error(exc: ValidationError, code=status.HTTP_400_BAD_REQUEST) -> Response:
    return Response({"detail": " ".join(exc.messages), "errors": exc.messages}, status=code)


class CountSessionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = CountSessionSerializer

    def get_permissions(self):
        needed = Capability.APPROVE if self.action in ("approve", "reject") else Capability.COUNT
        return [IsAuthenticated(), api_capability(needed)()]

    def get_queryset(self):
        return (
            selectors.sessions_for(self.request.user)
            .select_related("created_by", "approved_by")
            .prefetch_related("counters")
            .order_by("-id")
        )

    def _fresh(self, pk: int) -> CountSession:
        return self.get_queryset().get(pk=pk)

    def _countable(self) -> CountSession:
        session = self.get_object()
        if not selectors.may_enter_counts(self.request.user, session):
            raise ApiPermissionDenied
        return session

    @extend_schema(request=CountSessionCreateSerializer, responses={201: CountSessionSerializer})
    def create(self, request, *args, **kwargs):
        data = CountSessionCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            session = services.session_create(
                warehouse=values["warehouse"],
                kind=values["kind"],
                user=request.user,
                skus=values.get("skus") or None,
                counters=values.get("counters", []),
                comment=values.get("comment", ""),
            )
        except ValidationError as exc:
            return _error(exc)
        body = CountSessionSerializer(self._fresh(session.pk)).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["GET"], responses=BlindLineSerializer(many=True))
    @extend_schema(methods=["POST"], request=EntryInSerializer, responses={201: EntryOutSerializer})
    @action(detail=True, methods=["get", "post"])
    def lines(self, request, pk=None):
        """GET: the lines (blind for counters). POST `sku`, `counted`: record a count."""
        if request.method == "GET":
            session = self.get_object()
            serializer = (
                ReviewLineSerializer
                if can(request.user, Capability.APPROVE)
                else BlindLineSerializer
            )
            page = self.paginate_queryset(selectors.session_lines(session))
            return self.get_paginated_response(serializer(page, many=True).data)
        session = self._countable()
        data = EntryInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        key = values.get("idempotency_key") or request.headers.get("Idempotency-Key")
        try:
            result = services.count_entry_add(
                session=session,
                code=values["sku"],
                quantity=values["counted"],
                user=request.user,
                idempotency_key=key,
                source="api",
            )
        except ValidationError as exc:
            return _error(exc)
        except PermissionDenied as exc:
            raise ApiPermissionDenied from exc
        line = result.line
        recount = result.entry.phase == EntryPhase.RECOUNT
        body = {
            "entry": result.entry.pk,
            "line": line.pk,
            "sku": line.sku.seller_sku,
            "phase": result.entry.phase,
            "quantity": result.entry.quantity,
            "counted": line.recount_qty if recount else line.counted_qty,
            "created": result.created,
        }
        return Response(body, status=status.HTTP_201_CREATED if result.created else 200)

    @extend_schema(request=SubmitInSerializer, responses=CountSessionSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        session = self._countable()
        data = SubmitInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            result = services.session_submit(
                session=session,
                user=request.user,
                uncounted_as_zero=data.validated_data["uncounted_as_zero"],
            )
        except ValidationError as exc:
            return _error(exc)
        body = CountSessionSerializer(self._fresh(session.pk)).data
        body["recount"] = result.recount_skus
        return Response(body)

    @extend_schema(request=DecisionInSerializer, responses=CountSessionSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        session = self.get_object()
        data = DecisionInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            result = services.session_approve(
                session=session, user=request.user, comment=data.validated_data["comment"]
            )
        except ValidationError as exc:
            return _error(exc, status.HTTP_409_CONFLICT)
        body = CountSessionSerializer(self._fresh(session.pk)).data
        body["adjustments_posted"] = result.posted
        body["already_approved"] = not result.created
        return Response(body)

    @extend_schema(request=DecisionInSerializer, responses=CountSessionSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        session = self.get_object()
        data = DecisionInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            services.session_reject(
                session=session, user=request.user, comment=data.validated_data["comment"]
            )
        except ValidationError as exc:
            return _error(exc, status.HTTP_409_CONFLICT)
        return Response(CountSessionSerializer(self._fresh(session.pk)).data)
