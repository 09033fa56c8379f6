from django.urls import path
from rest_framework.routers import SimpleRouter

from clearance import api

app_name = "clearance_api"

router = SimpleRouter()
router.register("clearance-batches", api.ClearanceBatchViewSet, basename="clearance-batch")

urlpatterns = [
    path("ageing/", api.AgeingView.as_view(), name="ageing"),
    *router.urls,
]
