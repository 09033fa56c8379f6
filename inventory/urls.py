from django.urls import path

from inventory import import_views, turnover_views, views
from inventory.purchasing import views as po_views

app_name = "inventory"

urlpatterns = [
    path("skus/", views.SKUListView.as_view(), name="sku_list"),
    path("skus/<int:pk>/", views.SKUDetailView.as_view(), name="sku_detail"),
    path("skus/by-code/<str:seller_sku>/", views.sku_by_code, name="sku_by_code"),
    path("movements/", views.MovementListView.as_view(), name="movement_list"),
    path("movements/new/", views.MovementPostView.as_view(), name="movement_post"),
    path("movements/<int:pk>/", views.movement_detail, name="movement_detail"),
    path("warehouses/", views.WarehouseListView.as_view(), name="warehouse_list"),
    path("warehouses/<slug:code>/", views.warehouse_detail, name="warehouse_detail"),
    path("imports/", import_views.ImportUploadView.as_view(), name="import_list"),
    path("imports/<int:pk>/", import_views.import_detail, name="import_detail"),
    path("imports/<int:pk>/status/", import_views.import_status, name="import_status"),
    path("purchase-orders/", po_views.PurchaseOrderListView.as_view(), name="po_list"),
    path("purchase-orders/new/", po_views.purchase_order_create, name="po_create"),
    path("purchase-orders/<str:number>/", po_views.purchase_order_detail, name="po_detail"),
    path(
        "purchase-orders/<str:number>/receive/",
        po_views.purchase_order_receive,
        name="po_receive",
    ),
    path("purchase-orders/<str:number>/send/", po_views.purchase_order_send, name="po_send"),
    path("purchase-orders/<str:number>/cancel/", po_views.purchase_order_cancel, name="po_cancel"),
    path("turnover/", turnover_views.TurnoverView.as_view(), name="turnover"),
    path("turnover/trend/", turnover_views.turnover_trend_chart, name="turnover_trend_chart"),
]
