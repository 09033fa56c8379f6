from rest_framework.routers import SimpleRouter

from alerts import api

router = SimpleRouter()
router.register("alerts", api.AlertViewSet, basename="api-alert")
router.register("ad-advice", api.AdAdviceViewSet, basename="api-ad-advice")

urlpatterns = router.urls
