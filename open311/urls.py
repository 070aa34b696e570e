"""/open311/v2/: GeoReport v2 (mounted in config/urls.py)."""

from django.urls import re_path

from open311 import views

app_name = "open311"
F = r"\.(?P<fmt>json|xml)$"
urlpatterns = [
    re_path(r"^discovery" + F, views.discovery, name="discovery"),
    re_path(r"^services" + F, views.service_list, name="services"),
    re_path(r"^services/(?P<code>[\w-]{1,64})" + F, views.service_definition, name="service"),
    re_path(r"^requests" + F, views.requests_view, name="requests"),
    re_path(r"^requests/(?P<code>[\w-]{1,64})" + F, views.request_detail, name="request"),
    re_path(r"^(?P<rest>.*)\.(?P<fmt>xml)$", views.not_found),
    re_path(r"^(?P<rest>.*)$", views.not_found),
]
