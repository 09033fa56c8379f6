from django.urls import path

from clearance import views

app_name = "clearance"

urlpatterns = [
    path("ageing/", views.AgeingReportView.as_view(), name="ageing_report"),
    path("slow-movers/", views.SlowMoverListView.as_view(), name="slow_movers"),
    path("at-risk/", views.AtRiskListView.as_view(), name="at_risk"),
    path("batches/", views.BatchListView.as_view(), name="batch_list"),
    path("batches/propose/", views.batch_propose, name="batch_propose"),
    path("batches/<int:pk>/", views.batch_detail, name="batch_detail"),
    path("batches/<int:pk>/lines/", views.batch_lines_save, name="batch_lines_save"),
    path("batches/<int:pk>/approve/", views.batch_approve, name="batch_approve"),
    path("batches/<int:pk>/reject/", views.batch_reject, name="batch_reject"),
    path("batches/<int:pk>/close/", views.batch_close, name="batch_close"),
    path("batches/<int:pk>/lines/<int:line_pk>/done/", views.line_done, name="line_done"),
    path(
        "batches/<int:pk>/promotions.csv",
        views.batch_promotions_csv,
        name="batch_promotions_csv",
    ),
]
