from django.urls import path
from rest_framework.routers import SimpleRouter

from volunteers.api import views

router = SimpleRouter()
router.register("volunteer-skills", views.SkillViewSet, basename="volunteer-skill")
router.register("volunteers", views.VolunteerViewSet, basename="volunteer")
router.register("volunteer-teams", views.TeamViewSet, basename="volunteer-team")
router.register("volunteer-activities", views.ActivityViewSet, basename="volunteer-activity")
router.register("volunteer-sign-ups", views.SignUpViewSet, basename="volunteer-sign-up")
router.register("volunteer-hours", views.HoursEntryViewSet, basename="volunteer-hours")
router.register("wishes", views.WishViewSet, basename="wish")

urlpatterns = [
    path(
        "volunteers/calendars/communities/<str:code>.ics",
        views.community_calendar_ics,
        name="volunteer-community-calendar",
    ),
    path(
        "volunteers/calendars/volunteers/<str:number>.ics",
        views.volunteer_calendar_ics,
        name="volunteer-calendar",
    ),
    path("volunteer-figures/", views.VolunteerFiguresView.as_view(), name="volunteer-figures"),
    *router.urls,
]
