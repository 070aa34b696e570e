"""A URLconf with one route more than the project's (tests/core/test_schema_cache.py)."""

from django.http import HttpResponse
from django.urls import path

from config.urls import urlpatterns as project_urlpatterns

urlpatterns = [*project_urlpatterns, path("extra/", lambda request: HttpResponse("extra"))]
