"""Inventory's part of /api/v1/. Its own router: other apps include their own urls the same way."""

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.routers import SimpleRouter

from inventory.api import views
from inventory.api.serializers import AuthTokenResponseSerializer

router = SimpleRouter()
router.register("warehouses", views.WarehouseViewSet, basename="api-warehouse")
router.register("suppliers", views.SupplierViewSet, basename="api-supplier")
router.register("skus", views.SKUViewSet, basename="api-sku")
router.register("movements", views.MovementViewSet, basename="api-movement")
router.register("purchase-orders", views.PurchaseOrderViewSet, basename="api-purchase-order")


class TokenView(ObtainAuthToken):
    """POST username and password; answers {"token": …} for the Authorization: Token header."""

    @extend_schema(responses={200: AuthTokenResponseSerializer})
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("stock/", views.StockView.as_view(), name="api-stock"),
    *router.urls,
]
