from rest_framework.routers import SimpleRouter

from covenants.api import views

router = SimpleRouter()
router.register("partner-units", views.PartnerUnitViewSet, basename="partnerunit")
router.register("agreements", views.AgreementViewSet, basename="agreement")
router.register("agreement-templates", views.AgreementTemplateViewSet, basename="agreementtemplate")
router.register("service-projects", views.ServiceProjectViewSet, basename="serviceproject")
router.register("activities", views.ActivityViewSet, basename="activityrecord")
router.register("liaison-logs", views.LiaisonLogViewSet, basename="liaisonlog")
router.register("needs", views.NeedViewSet, basename="need")
router.register("resources", views.ResourceViewSet, basename="resource")
router.register("matched-projects", views.ProjectViewSet, basename="project")
router.register("unit-assessments", views.UnitAssessmentViewSet, basename="unitassessment")
router.register("covenants", views.CovenantViewSet, basename="covenant")

urlpatterns = router.urls
