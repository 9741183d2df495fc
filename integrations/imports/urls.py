from django.urls import path

from . import views

app_name = "imports"

urlpatterns = [
    path("", views.job_list, name="list"),
    path("template.csv", views.template_download, name="template"),
    path("<int:pk>/", views.job_detail, name="detail"),
    path("<int:pk>/progress/", views.job_progress, name="progress"),
    path("<int:pk>/mapping/", views.job_mapping, name="mapping"),
    path("<int:pk>/commit/", views.job_commit, name="commit"),
    path("<int:pk>/cancel/", views.job_cancel, name="cancel"),
    path("<int:pk>/resume/", views.job_resume, name="resume"),
    path("<int:pk>/undo/", views.job_undo, name="undo"),
    path("clients/<int:client_pk>/contacts/", views.client_contacts, name="client_contacts"),
    path("<int:pk>/failed-rows.csv", views.failed_rows, name="failed_rows"),
]
