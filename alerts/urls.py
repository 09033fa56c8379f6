from django.urls import path

from alerts import views

app_name = "alerts"

urlpatterns = [
    path("replenishment/", views.ReplenishmentListView.as_view(), name="replenishment"),
    path(
        "replenishment/purchase-orders/",
        views.purchase_orders_create,
        name="purchase_orders_create",
    ),
    path("alerts/", views.AlertListView.as_view(), name="alert_list"),
    path("alerts/<int:pk>/acknowledge/", views.alert_acknowledge, name="alert_acknowledge"),
    path("ad-advice/", views.AdAdviceListView.as_view(), name="ad_advice"),
    path("skus/<int:pk>/chart.json", views.sku_chart_data, name="sku_chart_data"),
]
