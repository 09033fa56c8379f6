"""The turnover endpoint's own URLs, included under /api/v1/ by config/urls.py."""

from django.urls import path

from inventory.turnover_api import TurnoverAPIView

urlpatterns = [
    path("turnover/", TurnoverAPIView.as_view(), name="api-turnover"),
]
