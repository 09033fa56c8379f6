"""Counting's part of /api/v1/ (a SimpleRouter: no API root to clash with other apps')."""

from rest_framework.routers import SimpleRouter

from counting.api import CountSessionViewSet

router = SimpleRouter()
router.register("count-sessions", CountSessionViewSet, basename="count-session")

urlpatterns = router.urls
