"""Settings → Team (Super Admin / Admin: Op.USERS): the MSP's users and invites.

Thin views over accounts.team and accounts.invites; ids resolve inside the request's
MSP (404 for missing and foreign alike).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from opsmerge.tenancy import msp_get_or_404
from opsmerge.views.generic import ObjectActionView, ObjectEditView, msp_view

from . import invites, team
from .models import Invite
from .permissions import Op
from .sessions import sessions_list
from .team_forms import InviteForm, TeamMemberForm

TEAM_URL = "settings:team"


@msp_view(Op.USERS)
def team_page(request):
    msp = request.msp
    pending = (Invite.objects.filter(msp=msp, accepted_at__isnull=True, revoked_at__isnull=True)
               .select_related("invited_by").prefetch_related("tech_groups").order_by("-created_at"))
    return render(request, "settings/team.html", {
        "members": team.team_list(msp=msp), "invites": pending, "counts": team.team_counts(msp=msp),
        "now": timezone.now(),
    })


class InviteCreateView(ObjectEditView):
    permission = Op.USERS
    form_class = InviteForm
    template_name = "settings/team_invite.html"
    heading = "Invite someone to your team"

    def get_context_data(self, **kwargs):
        return {**kwargs, "section_url": reverse(TEAM_URL)}

    def get_cancel_url(self):
        return reverse(TEAM_URL)

    def get_success_url(self, obj):
        return reverse(TEAM_URL)

    success_message = "Invite sent to {object.email}."


class TeamMemberView(ObjectEditView):
    """One user: role and tech groups (form), status, sessions and actions (side card)."""

    permission = Op.USERS
    form_class = TeamMemberForm
    template_name = "settings/team_member.html"
    success_message = "Saved {object}."

    def get_object(self):
        return team.team_member_get(msp=self.msp, pk=self.kwargs["user_pk"])

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "member": self.object}

    def post(self, request, *args, **kwargs):
        if not team.may_manage(request.user, self.get_object()):
            raise PermissionDenied("Only a Super Admin can change a Super Admin.")
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        member = self.object
        return {**kwargs, "member": member, "sessions": sessions_list(member) if member.is_active else [],
                "is_self": member.pk == self.request.user.pk, "section_url": reverse(TEAM_URL),
                "can_manage": team.may_manage(self.request.user, member),
                "heading": str(member)}

    def get_cancel_url(self):
        return reverse(TEAM_URL)

    def get_success_url(self, obj):
        return reverse("settings:team_member", args=[obj.pk])


class _MemberAction(ObjectActionView):
    write_permission = Op.USERS

    def get_object(self):
        return team.team_member_get(msp=self.msp, pk=self.kwargs["user_pk"])

    def get_success_url(self, obj):
        return reverse("settings:team_member", args=[obj.pk])


class DeactivateView(_MemberAction):
    def perform(self, obj):
        team.user_deactivate(msp=self.msp, actor=self.request.user, user=obj)
        return f"{obj} is deactivated: signed out everywhere, API keys they created are revoked."


class ReactivateView(_MemberAction):
    def perform(self, obj):
        team.user_reactivate(msp=self.msp, actor=self.request.user, user=obj)
        return f"{obj} can sign in again."


class SignOutEverywhereView(_MemberAction):
    def perform(self, obj):
        ended = team.user_sign_out_everywhere(msp=self.msp, actor=self.request.user, user=obj,
                                              keep_session_key=self.request.session.session_key)
        return f"Ended {ended} session{'s' if ended != 1 else ''} of {obj}."


class _InviteAction(ObjectActionView):
    write_permission = Op.USERS

    def get_object(self):
        return msp_get_or_404(Invite.objects.all(), msp=self.msp, pk=self.kwargs["invite_pk"])

    def get_success_url(self, obj):
        return reverse(TEAM_URL)


class InviteResendView(_InviteAction):
    def perform(self, obj):
        invites.invite_resend(msp=self.msp, actor=self.request.user, invite=obj)
        return f"A new invite link was sent to {obj.email}; the previous link no longer works."


class InviteRevokeView(_InviteAction):
    def perform(self, obj):
        invites.invite_revoke(msp=self.msp, actor=self.request.user, invite=obj)
        return f"The invite for {obj.email} is withdrawn."


def urls():
    from django.urls import path

    return [
        path("team/", team_page, name="team"),
        path("team/invite/", InviteCreateView.as_view(), name="team_invite"),
        path("team/invites/<int:invite_pk>/resend/", InviteResendView.as_view(), name="team_invite_resend"),
        path("team/invites/<int:invite_pk>/revoke/", InviteRevokeView.as_view(), name="team_invite_revoke"),
        path("team/<int:user_pk>/", TeamMemberView.as_view(), name="team_member"),
        path("team/<int:user_pk>/deactivate/", DeactivateView.as_view(), name="team_member_deactivate"),
        path("team/<int:user_pk>/reactivate/", ReactivateView.as_view(), name="team_member_reactivate"),
        path("team/<int:user_pk>/sign-out/", SignOutEverywhereView.as_view(), name="team_member_sign_out"),
    ]

