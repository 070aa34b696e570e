import os

from django.urls import path

from portal.views import accounts, cases, notices, pages, places, volunteering

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
    path("account/register/verify/", accounts.register_verify, name="register_verify"),
    path("me/verify-phone/", accounts.verify_phone, name="verify_phone"),
    path("me/", accounts.me_view, name="me"),
    path("me/sms/", accounts.sms_preference, name="sms_preference"),
    path("me/requests/", cases.my_requests, name="my_requests"),
    path("me/requests/<str:code>/", cases.my_request, name="my_request"),
    path("report/", cases.report, name="report"),
    path("report/done/", cases.report_done, name="report_done"),
    path("report/places/", places.place_suggest, name="place_suggest"),
    path("track/", cases.track, name="track"),
    path("track/rate/", cases.rate, name="track_rate"),
    path("track/reopen/", cases.reopen, name="track_reopen"),
    path("volunteer/", volunteering.volunteer_home, name="volunteer"),
    path(
        "volunteer/activities/<str:code>/sign-up/",
        volunteering.activity_sign_up,
        name="activity_sign_up",
    ),
    path(
        "volunteer/activities/<str:code>/cancel/",
        volunteering.activity_cancel,
        name="activity_cancel",
    ),
    path("notices/", notices.notices, name="notices"),
    path("wishes/", volunteering.wishes, name="wishes"),
    path("wishes/new/", volunteering.wish_new, name="wish_new"),
    path("wishes/<str:code>/", volunteering.wish_detail, name="wish_detail"),
]

if os.environ.get("PORTAL_BENCH_CEILING") == "1":
    urlpatterns.append(path("bench/ceiling/", pages.bench_ceiling, name="bench_ceiling"))
