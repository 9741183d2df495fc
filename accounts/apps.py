from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from allauth.mfa import signals as mfa_signals
        from django.contrib.auth.signals import user_logged_in
        from django.urls import path

        from . import receivers

        user_logged_in.connect(receivers.on_user_logged_in, dispatch_uid="accounts.signed_in_at")
        mfa_signals.authenticator_added.connect(receivers.on_authenticator_added, dispatch_uid="accounts.mfa_added")

        from opsmerge.registry import SettingsPage, settings_pages

        from .models import TechGroup

        def urls():
            from . import settings_pages as v

            return [
                path("tech-groups/", v.tech_group_list, name="tech_groups"),
                path("tech-groups/new/", v.TechGroupEditView.as_view(), name="tech_group_create"),
                path("tech-groups/<int:tech_group_pk>/", v.TechGroupEditView.as_view(), name="tech_group_edit"),
            ]

        settings_pages.register(SettingsPage(
            "tech_groups", "Tech groups", "settings:tech_groups",
            description="Teams of technicians clients are associated with.",
            count=lambda *, msp: TechGroup.objects.filter(msp=msp).count(), urls=urls))

        from .security_settings import register as register_security_settings

        register_security_settings()  # Settings → Sign-in security (issue 13: require MFA for everyone)
