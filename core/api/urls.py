from django.urls import path

from core.api.jobs import ImportJobDetailView

urlpatterns = [
    path("import-jobs/<int:pk>/", ImportJobDetailView.as_view(), name="import-job-detail"),
]
