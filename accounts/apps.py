from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from allauth.mfa import signals as mfa_signals
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import pre_delete
        from django.urls import path

        from . import receivers

        user_logged_in.connect(receivers.on_user_logged_in, dispatch_uid="accounts.signed_in_at")
        mfa_signals.authenticator_added.connect(receivers.on_authenticator_added, dispatch_uid="accounts.mfa_added")

        from opsmerge.registry import SettingsPage, settings_pages

        from .models import TechGroup, User
        from .sessions import on_user_logged_in as record_session
        from .team import refuse_deleting_authors

        def urls():
            from . import settings_pages as v

            return [
                path("tech-groups/", v.tech_group_list, name="tech_groups"),
                path("tech-groups/new/", v.TechGroupEditView.as_view(), name="tech_group_create"),
                path("tech-groups/<int:tech_group_pk>/", v.TechGroupEditView.as_view(), name="tech_group_edit"),
            ]

        user_logged_in.connect(record_session, dispatch_uid="accounts.record_session")
        pre_delete.connect(refuse_deleting_authors, sender=User, dispatch_uid="accounts.refuse_deleting_authors")

        settings_pages.register(SettingsPage(
            "tech_groups", "Tech groups", "settings:tech_groups",
            description="Teams of technicians clients are associated with.",
            count=lambda *, msp: TechGroup.objects.filter(msp=msp).count(), urls=urls))

        def team_urls():
            from . import team_views

            return team_views.urls()

        settings_pages.register(SettingsPage(
            "team", "Team", "settings:team", op="users", urls=team_urls,
            description="Invite staff, change roles, deactivate users who leave.",
            count=lambda *, msp: User.objects.filter(msp=msp, is_active=True).count()), before="tech_groups")

        from .security_settings import register as register_security_settings

        register_security_settings()  # Settings → Sign-in security (issue 13: require MFA for everyone)
