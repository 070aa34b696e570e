from importlib.util import find_spec

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularSwaggerSplitView

from core.api.schema_view import CachedSpectacularAPIView
from core.media import protected_file, protected_thumbnail, signed_file
from core.views import healthz

# Database down → 503 (core/middleware.py); any other error → Django's plain 500.
handler500 = "core.middleware.server_error"
# An /api/ address no route matches → the API's 404 in its error shape; elsewhere Django's page.
handler404 = "core.middleware.page_not_found"

admin.site.site_header = "一核多元共治 管理后台"
admin.site.site_title = "一核多元共治"
admin.site.index_title = "工作台"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    # Uploads, each answered by its record's rules (core/media.py); no public /media/.
    path("files/thumb/<path:name>", protected_thumbnail, name="protected-thumbnail"),
    path("files/signed/<str:token>/", signed_file, name="signed-file"),
    path("files/<path:name>", protected_file, name="protected-file"),
    path("api/v1/", include("config.api_urls")),
    path("api/schema/", CachedSpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]
if find_spec("open311.urls"):
    urlpatterns.append(path("open311/v2/", include("open311.urls")))
if find_spec("portal.urls"):
    urlpatterns.append(path("", include("portal.urls")))
