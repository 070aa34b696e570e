import os

from django.urls import path

from portal.views import accounts, pages

app_name = "portal"

urlpatterns = [
    path("", pages.home, name="home"),
    path("text-size/", pages.text_size, name="text_size"),
    path("community/", pages.community_search, name="community_search"),
    path("community/<str:code>/", pages.community_detail, name="community_detail"),
    path("services/", pages.handbook, name="handbook"),
    path("services/<int:pk>/", pages.handbook_item, name="handbook_item"),
    path("account/login/", accounts.login_view, name="login"),
    path("account/logout/", accounts.logout_view, name="logout"),
    path("account/register/", accounts.register_view, name="register"),
    path("me/", accounts.me_view, name="me"),
]

if os.environ.get("PORTAL_BENCH_CEILING") == "1":
    urlpatterns.append(path("bench/ceiling/", pages.bench_ceiling, name="bench_ceiling"))
