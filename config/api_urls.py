"""/api/v1/: every app that has an ``api/urls.py`` contributes its routes here."""

import os
from importlib import import_module
from importlib.util import find_spec

from django.conf import settings
from django.urls import include, path
from rest_framework.routers import SimpleRouter

from core.api.auth import ApiTokenViewSet, obtain_token
from core.api.root import api_root

_auth = SimpleRouter()
_auth.register("auth/tokens", ApiTokenViewSet, basename="api-tokens")

urlpatterns = [
    path("", api_root, name="api-root"),
    path("auth/token/", obtain_token, name="api-token"),
    path("", include(_auth.urls)),
]
if os.environ.get("API_BENCH_CEILING") == "1":  # bench/api_lists.py's bare view only
    from core.api.bench import bench_ceiling

    urlpatterns.append(path("bench/ceiling/", bench_ceiling))
for app in settings.PROJECT_APPS:
    module = f"{app}.api.urls"
    if find_spec(f"{app}.api") and find_spec(module):
        urlpatterns.append(path("", include(import_module(module))))
