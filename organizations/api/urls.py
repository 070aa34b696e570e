from rest_framework.routers import SimpleRouter

from organizations.api import views as m
from organizations.api.views import OrganizationViewSet

router = SimpleRouter()
router.register("organizations", OrganizationViewSet, basename="organization")
router.register("members", m.MemberViewSet, basename="member")
router.register("posts", m.PostViewSet, basename="post")
router.register("registrations", m.RegistrationViewSet, basename="registration")
router.register("post-claims", m.PostClaimViewSet, basename="post-claim")
router.register("member-activities", m.MemberActivityViewSet, basename="member-activity")
router.register("appraisals", m.AppraisalViewSet, basename="appraisal")
router.register("committee-seats", m.CommitteeSeatViewSet, basename="committee-seat")
router.register(
    "standing-appointments", m.StandingAppointmentViewSet, basename="standing-appointment"
)
router.register("sent-down-cadres", m.SentDownCadreViewSet, basename="sent-down-cadre")
router.register("bodies", m.BodyViewSet, basename="body")
router.register(
    "financial-disclosures", m.FinancialDisclosureViewSet, basename="financial-disclosure"
)
router.register("officers", m.OfficerViewSet, basename="officer")
router.register("six-haves", m.SixHavesViewSet, basename="six-haves")

urlpatterns = router.urls
