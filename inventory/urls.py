from django.urls import path

from inventory import import_views, views

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
]
