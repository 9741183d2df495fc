from django.urls import path

from . import views

urlpatterns = [
    path("microsoft/login/", views.login, name="entra_login"),
    path("microsoft/login/callback/", views.callback, name="entra_callback"),
]
