from django.urls import path

from inventory import turnover_views, views

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
    path("turnover/", turnover_views.TurnoverView.as_view(), name="turnover"),
    path("turnover/trend/", turnover_views.turnover_trend_chart, name="turnover_trend_chart"),
]
