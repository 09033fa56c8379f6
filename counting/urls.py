from django.urls import path

from counting.views import entry, reports, sessions

app_name = "counting"

urlpatterns = [
    path("", sessions.SessionListView.as_view(), name="session_list"),
    path("new/", sessions.session_create, name="session_create"),
    path("accuracy/", reports.accuracy, name="accuracy"),
    path("history/<str:seller_sku>/", reports.sku_history, name="sku_history"),
    path("<int:pk>/", sessions.session_detail, name="session_detail"),
    path("<int:pk>/start/", sessions.session_start, name="session_start"),
    path("<int:pk>/submit/", sessions.session_submit, name="session_submit"),
    path("<int:pk>/review/", sessions.session_review, name="review"),
    path("<int:pk>/approve/", sessions.session_approve, name="session_approve"),
    path("<int:pk>/reject/", sessions.session_reject, name="session_reject"),
    path("<int:pk>/enter/", entry.count_entry, name="entry"),
    path("<int:pk>/enter/undo/", entry.count_undo, name="undo"),
    path("<int:pk>/sheet/", entry.count_sheet, name="sheet"),
    path("<int:pk>/sheet.xlsx", entry.count_sheet_xlsx, name="sheet_xlsx"),
    path("<int:pk>/import/", entry.count_sheet_import, name="sheet_import"),
]
