"""The client portal, mounted at /portal/ (namespace `portal`)."""

from django.urls import path

from .views import auth, pages

app_name = "portal"

urlpatterns = [
    path("", pages.home, name="home"),
    path("sign-in/", auth.signin, name="signin"),
    path("sign-in/sent/", auth.signin_sent, name="signin_sent"),
    path("sign-in/link/<str:token>/", auth.redeem, name="redeem"),
    path("sign-out/", auth.signout, name="signout"),
    path("signed-out/", auth.signed_out, name="signed_out"),
    path("tickets/", pages.ticket_list, name="tickets"),
    path("tickets/new/", pages.ticket_new, name="ticket_new"),
    path("tickets/<int:number>/", pages.ticket_detail, name="ticket"),
    path("attachments/<int:pk>/", pages.attachment, name="attachment"),
    path("logo/", pages.msp_logo, name="logo"),
    path("assets/", pages.assets, name="assets"),
    path("profile/", pages.profile, name="profile"),
]
