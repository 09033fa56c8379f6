from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from inventory import views as inventory_views

urlpatterns = [
    path("", inventory_views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include("inventory.api.urls")),
    path("api/v1/", include("inventory.turnover_api_urls")),
    path("", include("inventory.urls")),
    path("counts/", include("counting.urls")),
    path("api/v1/", include("counting.api_urls")),
    path("", include("alerts.urls")),
    path("api/v1/", include("alerts.api_urls")),
    path("clearance/", include("clearance.urls")),
    path("api/v1/", include("clearance.api_urls")),
]
