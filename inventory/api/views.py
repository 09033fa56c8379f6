"""API views: thin, scoped to the user's warehouses, role-checked; writes go through services.

Status codes: a warehouse or purchase order the user does not belong to answers 404 (also when
named in a request body, e.g. a movement for warehouse B posted by a member of A only); a role
that may not do something answers 403; bad input 400 with field errors; a refusal caused by the
current state (not enough stock, an order already received) 409 with the reason.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, NotFound, PermissionDenied
from rest_framework.generics import ListAPIView
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.response import Response

from inventory import catalog, services
from inventory.api import serializers as s
from inventory.api.pagination import LedgerCursorPagination
from inventory.models import (
    SKU,
    MovementKind,
    Supplier,
)
from inventory.purchasing import receipts as po_receipts
from inventory.purchasing import selectors as po_selectors
from inventory.purchasing import services as po_services
from inventory.roles import Capability, can
from inventory.selectors import (
    movements_for,
    posting_targets,
    stock_balance_ids_for,
    stock_rows_for,
    warehouses_for,
)
from inventory.table_pages import rows_in_order

# Movements in one batch POST at most (a larger body answers 400).
MAX_BATCH = 1000


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("The request conflicts with the current state.")
    default_code = "conflict"


class RoleCapability(BasePermission):
    """Reads need one of `view.read_capabilities`, writes one of `view.write_capabilities`."""

    def has_permission(self, request, view):
        wanted = (
            view.read_capabilities if request.method in SAFE_METHODS else view.write_capabilities
        )
        return any(can(request.user, cap) for cap in wanted)


def _field_errors(exc: DjangoValidationError):
    if hasattr(exc, "error_dict"):
        return serializers.ValidationError(exc.message_dict)
    return serializers.ValidationError({"non_field_errors": exc.messages})


def _check_member_warehouse(user, data) -> None:
    """404 when the body names a warehouse the user is not a member of (or that does not exist:
    the two are not told apart). A missing or malformed code is left to the serializer (400)."""
    _posting_context(user, [data])


def _posting_context(user, items) -> dict:
    """The user's warehouses and the SKUs named by `items` (request bodies), read in one go for
    the serializer (`warehouses`, `skus`); 404 as `_check_member_warehouse` when a warehouse
    named is not among the user's."""
    codes, seller_skus = set(), set()
    for item in items:
        if not hasattr(item, "get"):
            continue
        code, seller_sku = item.get("warehouse"), item.get("sku")
        if isinstance(code, str) and code:
            codes.add(code)
        if isinstance(seller_sku, str) and seller_sku:
            seller_skus.add(seller_sku)
    warehouses, skus = posting_targets(user, codes, seller_skus)
    for code in sorted(codes - warehouses.keys()):
        raise NotFound(_("No warehouse “%(code)s” among yours.") % {"code": code})
    return {"warehouses": warehouses, "skus": skus}


class _CatalogViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    permission_classes = [IsAuthenticated, RoleCapability]
    read_capabilities = (Capability.VIEW_STOCK,)
    lookup_value_regex = "[^/]+"

    def perform_create(self, serializer):
        try:
            serializer.instance = self.create_object(serializer.validated_data)
        except DjangoValidationError as exc:
            raise _field_errors(exc) from exc

    def perform_update(self, serializer):
        try:
            serializer.instance = self.update_object(serializer.instance, serializer.validated_data)
        except DjangoValidationError as exc:
            raise _field_errors(exc) from exc


class WarehouseViewSet(_CatalogViewSet):
    """Warehouses you belong to. Only admins create or change them; the creator becomes a
    member."""

    serializer_class = s.WarehouseSerializer
    lookup_field = "code"
    write_capabilities = (Capability.ADMINISTER,)

    def get_queryset(self):
        return warehouses_for(self.request.user).order_by("code")

    def create_object(self, data):
        return catalog.warehouse_create(user=self.request.user, **data)

    def update_object(self, instance, data):
        return catalog.warehouse_update(warehouse=instance, **data)


class SupplierViewSet(_CatalogViewSet):
    """Suppliers, named by their unique name. Managers and admins create or change them."""

    serializer_class = s.SupplierSerializer
    lookup_field = "name"
    write_capabilities = (Capability.EDIT_SKU,)
    queryset = Supplier.objects.order_by("name")

    def create_object(self, data):
        return catalog.supplier_create(**data)

    def update_object(self, instance, data):
        return catalog.supplier_update(supplier=instance, **data)


class SKUViewSet(_CatalogViewSet):
    """SKUs by seller SKU; supplier and category by name (a new category name creates it).
    Managers and admins create or change them."""

    serializer_class = s.SKUSerializer
    lookup_field = "seller_sku"
    write_capabilities = (Capability.EDIT_SKU,)
    queryset = SKU.objects.select_related("category", "supplier").order_by("seller_sku")

    def create_object(self, data):
        return catalog.sku_create(user=self.request.user, source="api", **data)

    def update_object(self, instance, data):
        return catalog.sku_update(sku=instance, user=self.request.user, source="api", **data)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("warehouse", str, description="Warehouse code"),
            OpenApiParameter("sku", str, description="Seller SKU"),
            OpenApiParameter("kind", str, enum=MovementKind.values),
        ]
    ),
    create=extend_schema(
        responses={
            200: s.MovementSerializer,
            201: s.MovementSerializer,
            400: None,
            404: None,
            409: None,
        },
        description=(
            "Post one movement. A repeated external_ref answers 200 with the movement already "
            "in the ledger; a new one 201. Not enough stock: 409 with the reason. Purchasers "
            "may post RECEIPT only; managers and admins any kind. A JSON list of up to 1000 "
            "movements, each with its external_ref, posts them all or none (201 when at least "
            "one is new; 409 lists each refusal by index)."
        ),
    ),
)
class MovementViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """The ledger of your warehouses, newest first; posting goes through the posting service."""

    serializer_class = s.MovementSerializer
    pagination_class = LedgerCursorPagination
    permission_classes = [IsAuthenticated, RoleCapability]
    read_capabilities = (Capability.VIEW_STOCK,)
    write_capabilities = (Capability.PURCHASE, Capability.POST_MOVEMENTS)
    source = "api"

    def get_queryset(self):
        rows = movements_for(self.request.user)
        params = self.request.query_params
        if code := params.get("warehouse"):
            rows = rows.filter(warehouse__code=code)
        if seller_sku := params.get("sku"):
            rows = rows.filter(sku__seller_sku=seller_sku)
        if kind := params.get("kind"):
            rows = rows.filter(kind=kind)
        return rows.order_by("-occurred_at", "-id")

    def create(self, request, *args, **kwargs):
        if isinstance(request.data, list):
            return self._create_batch(request, request.data)
        targets = _posting_context(request.user, [request.data])
        context = {**self.get_serializer_context(), **targets}
        serializer = s.MovementSerializer(data=request.data, context=context)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        self._check_kinds(request.user, [data])
        try:
            posted = services.movement_post(
                warehouse=data["warehouse"],
                sku=data["sku"],
                kind=data["kind"],
                quantity=data["quantity"],
                occurred_at=data.get("occurred_at"),
                unit_cost=data.get("unit_cost"),
                source=self.source,
                external_ref=data.get("external_ref"),
                user=request.user,
                note=data.get("note", ""),
            )
        except services.PostingError as exc:
            # Input was validated above: what is left is the ledger refusing (negative stock).
            raise Conflict({"detail": " ".join(exc.messages)}) from exc
        self._check_refs_own([(data, posted)])
        serializer.instance = posted.movement  # answer with the fields already built
        return Response(
            serializer.data,
            status=status.HTTP_201_CREATED if posted.created else status.HTTP_200_OK,
        )

    def _create_batch(self, request, items: list):
        """A JSON list of movements, each with its external_ref: all are posted, or none."""
        context = {
            **self.get_serializer_context(),
            "batch": True,
            **_posting_context(request.user, items),
        }
        serializer = s.MovementSerializer(
            data=items, many=True, allow_empty=False, max_length=MAX_BATCH, context=context
        )
        serializer.is_valid(raise_exception=True)
        rows = serializer.validated_data
        self._check_kinds(request.user, rows)
        lines = [
            services.MovementLine(
                warehouse=data["warehouse"],
                sku=data["sku"],
                kind=data["kind"],
                quantity=data["quantity"],
                occurred_at=data.get("occurred_at"),
                unit_cost=data.get("unit_cost"),
                external_ref=data.get("external_ref"),
                note=data.get("note", ""),
            )
            for data in rows
        ]
        try:
            posted = services.movements_post(lines=lines, source=self.source, user=request.user)
        except services.PostingError as exc:
            # Nothing was written; each refusal names its line by position in the list.
            body = {
                "detail": " ".join(exc.messages),
                "errors": [{"index": i, "detail": m} for i, m in exc.line_errors],
            }
            return Response(body, status=status.HTTP_409_CONFLICT)
        self._check_refs_own(list(zip(rows, posted, strict=True)))
        created = any(p.created for p in posted)
        return Response(
            self.get_serializer([p.movement for p in posted], many=True).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @staticmethod
    def _check_kinds(user, rows) -> None:
        if not can(user, Capability.POST_MOVEMENTS) and any(
            data["kind"] != MovementKind.RECEIPT for data in rows
        ):
            raise PermissionDenied(_("Your role may post receipts only."))

    @staticmethod
    def _check_refs_own(pairs) -> None:
        for data, posted in pairs:
            if not posted.created and posted.movement.warehouse_id != data["warehouse"].pk:
                raise Conflict(
                    {
                        "external_ref": _(
                            "This external reference is already used by another movement."
                        )
                    }
                )


@extend_schema(
    parameters=[
        OpenApiParameter("warehouse", str, description="Warehouse code"),
        OpenApiParameter("sku", str, description="Seller SKU"),
    ]
)
class StockView(ListAPIView):
    """One row per (warehouse, SKU) of your warehouses: live on_hand and on_order, and the
    planning figures as of the last recompute (null until computed)."""

    serializer_class = s.StockSerializer
    permission_classes = [IsAuthenticated, RoleCapability]
    read_capabilities = (Capability.VIEW_STOCK,)
    write_capabilities = ()

    def get_queryset(self):
        return self._filtered(stock_rows_for(self.request.user))

    def _filtered(self, rows):
        params = self.request.query_params
        if code := params.get("warehouse"):
            rows = rows.filter(warehouse__code=code)
        if seller_sku := params.get("sku"):
            rows = rows.filter(sku__seller_sku=seller_sku)
        return rows.order_by("warehouse__code", "sku__seller_sku")

    def paginate_queryset(self, queryset):
        """Count and page the balances' ids in order, then read the page's rows with their
        figures: computed for every balance before the LIMIT, the on-order subquery and the
        facts' and planning figures' joins cost 158 ms a page at 100k SKUs."""
        ids = self._filtered(stock_balance_ids_for(self.request.user))
        page = super().paginate_queryset(ids)
        if page is None:
            return None
        return rows_in_order(queryset, page)


class PurchaseOrderViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Purchase orders of your warehouses, by number (purchasers, managers, admins).

    Create makes a draft; `send/` marks it sent (its lines are then on order); `receive/` posts
    RECEIPT movements; `cancel/` cancels an open order.
    """

    serializer_class = s.PurchaseOrderSerializer
    permission_classes = [IsAuthenticated, RoleCapability]
    read_capabilities = write_capabilities = (Capability.PURCHASE,)
    lookup_field = "number"
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        rows = po_selectors.purchase_orders_with_lines(self.request.user)
        params = self.request.query_params
        if code := params.get("warehouse"):
            rows = rows.filter(warehouse__code=code)
        if name := params.get("supplier"):
            rows = rows.filter(supplier__name=name)
        if state := params.get("status"):
            rows = rows.filter(status=state)
        return rows.order_by("-created_at", "-id")

    def _fresh(self, order):
        try:
            return self.get_queryset().get(pk=order.pk)
        except order.DoesNotExist as exc:  # pragma: no cover - the user just saw it
            raise Http404 from exc

    def _run(self, service, **kwargs):
        try:
            return service(**kwargs)
        except po_services.PurchaseOrderConflict as exc:
            raise Conflict({"detail": " ".join(exc.messages)}) from exc
        except DjangoValidationError as exc:
            raise _field_errors(exc) from exc

    @extend_schema(
        parameters=[
            OpenApiParameter("warehouse", str, description="Warehouse code"),
            OpenApiParameter("supplier", str, description="Supplier name"),
            OpenApiParameter("status", str),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def create(self, request, *args, **kwargs):
        _check_member_warehouse(request.user, request.data)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        order = self._run(
            po_services.purchase_order_create,
            supplier=data["supplier"],
            warehouse=data["warehouse"],
            lines=data["order_lines"],
            user=request.user,
            note=data.get("note", ""),
        )
        body = self.get_serializer(self._fresh(order)).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: s.PurchaseOrderSerializer, 409: None})
    @action(detail=True, methods=["post"])
    def send(self, request, number=None):
        order = self._run(
            po_services.purchase_order_send, purchase_order=self.get_object(), user=request.user
        )
        return Response(self.get_serializer(self._fresh(order)).data)

    @extend_schema(request=None, responses={200: s.PurchaseOrderSerializer, 409: None})
    @action(detail=True, methods=["post"])
    def cancel(self, request, number=None):
        order = self._run(
            po_services.purchase_order_cancel, purchase_order=self.get_object(), user=request.user
        )
        return Response(self.get_serializer(self._fresh(order)).data)

    @extend_schema(
        request=s.ReceiveSerializer,
        responses={200: s.PurchaseOrderSerializer, 201: s.PurchaseOrderSerializer, 409: None},
        description=(
            "Receive goods: a RECEIPT movement per line. The same external_ref again receives "
            "nothing more and answers 200; a new receipt 201. More than is open: 409."
        ),
    )
    @action(detail=True, methods=["post"])
    def receive(self, request, number=None):
        order = self.get_object()
        payload = s.ReceiveSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        receipt = self._run(
            po_receipts.purchase_order_receive,
            purchase_order=order,
            lines=data["receipt_lines"],
            received_at=data.get("received_at"),
            receipt_ref=data.get("external_ref"),
            user=request.user,
        )
        return Response(
            self.get_serializer(self._fresh(receipt.purchase_order)).data,
            status=status.HTTP_201_CREATED if receipt.created else status.HTTP_200_OK,
        )
