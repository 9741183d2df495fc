from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from opsmerge.files import MspUploadTo
from opsmerge.tenancy import MspOwnedModel, TenantForeignKey

from .roles import Role


class Msp(models.Model):
    """The tenant: one MSP business. Every MSP-owned row points here."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    logo = models.ImageField(upload_to=MspUploadTo("msp-logo"), blank=True)
    support_email = models.EmailField(blank=True)
    m365_sync_interval_minutes = models.PositiveIntegerField(
        default=24 * 60, help_text="How often scheduled Microsoft 365 syncs run for this MSP."
    )
    signup_email = models.EmailField(
        blank=True, editable=False,
        help_text="The owner's work email given at sign-up (not a client contact's address).")
    require_mfa = models.BooleanField(
        "Require MFA for everyone", default=True,
        help_text="Every staff member must set up an authenticator app or a passkey before using OpsMerge.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = "MSP"
        verbose_name_plural = "MSPs"
        ordering = ["name"]

    def __str__(self):
        return self.name

    def primary_contact_email_problem(self, email: str) -> str | None:
        """Seed 004: the MSP's own sign-up email is never a client's primary contact
        email. The message for the form field, API attribute or CSV cell at fault."""
        own = (self.signup_email or "").strip().lower()
        if not own or (email or "").strip().lower() != own:
            return None
        return (f"{own} is the email {self.name} signed up to OpsMerge with, not a client's address. "
                "A client's primary contact needs the client's own email.")


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("Users sign in by email: an email is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username):
        """Sign-in is case-insensitive: emails are stored lower-cased."""
        return self.get(email=(username or "").strip().lower())

    def create_superuser(self, email, password=None, **extra):
        """A platform admin: Django admin access, no MSP."""
        extra.update(is_staff=True, is_superuser=True, msp=None)
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A staff member of one MSP (technician, admin …) or, with no MSP, a platform
    admin who only uses the Django admin.

    The one table that may hold a NULL msp: identities are global (sign-in by email
    across the deployment) and platform admins belong to no MSP. The check
    constraint keeps every non-superuser inside an MSP.
    """

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=150)
    msp = models.ForeignKey(Msp, on_delete=models.PROTECT, null=True, blank=True, related_name="users")
    role = models.CharField(max_length=32, choices=Role.choices, default=Role.TECHNICIAN)
    tech_groups = models.ManyToManyField("accounts.TechGroup", through="accounts.TechGroupMember", blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="May use the Django admin (platform admins).")
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(msp__isnull=False) | models.Q(is_superuser=True),
                name="user_msp_required_unless_platform_admin",
            ),
            # The Django admin runs unscoped: only platform admins (no MSP) may be staff.
            models.CheckConstraint(
                condition=models.Q(is_staff=False) | models.Q(msp__isnull=True),
                name="user_staff_only_without_msp",
                violation_error_message="A user who belongs to an MSP cannot have Django admin access "
                                        "(staff status); only platform admins with no MSP can.",
            ),
        ]
        indexes = [models.Index(fields=["msp", "role"])]

    def __str__(self):
        return self.full_name or self.email

    def save(self, *args, **kwargs):
        self.email = self.email.lower()  # keeps the unique index case-insensitive
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        # Authors of history are refused before anything is collected (accounts.team).
        # Django's collector then looks for the user's links in every table that points at
        # users, by user id alone: across every shard on Citus.
        from opsmerge.citus import multi_shard_allowed

        from .team import refuse_deleting_authors

        refuse_deleting_authors(type(self), self)
        with multi_shard_allowed("deleting a user: Django collects its links in every table by user id"):
            return super().delete(*args, **kwargs)

    def get_full_name(self):
        return self.full_name

    def get_short_name(self):
        return self.full_name.split(" ")[0] if self.full_name else self.email


class TechGroup(MspOwnedModel):
    """A team of the MSP's technicians (e.g. "Service desk", "Projects") that clients
    are associated with (seed 004)."""

    name = models.CharField(max_length=100)
    description = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint("msp", Lower("name"), name="techgroup_msp_name_ci_unique")]

    def __str__(self):
        return self.name


class TechGroupMember(MspOwnedModel):
    group = TenantForeignKey(TechGroup, on_delete=models.CASCADE)
    user = models.ForeignKey(User, on_delete=models.CASCADE)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["msp", "group", "user"], name="techgroupmember_unique")]


class Invite(MspOwnedModel):
    """An invitation to join one MSP's team (issue 13, item 2).

    The link carries `<msp id>.<random secret>`; only the secret's SHA-256 is stored
    (as for API keys), so a database read gives no usable link. The MSP id lets the
    public accept page look the invite up inside its own MSP's scope (and shard).
    Single use: acceptance stamps `accepted_at` under a row lock; a resend replaces
    the secret, so the older link stops working. Services: accounts/invites.py.
    """

    email = models.EmailField()
    role = models.CharField(max_length=32, choices=Role.choices, default=Role.TECHNICIAN)
    tech_groups = models.ManyToManyField(TechGroup, through="accounts.InviteTechGroup", blank=True, related_name="+")
    token_hash = models.CharField(max_length=64, editable=False)
    invited_by = models.ForeignKey(User, null=True, on_delete=models.PROTECT, related_name="+", editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    send_count = models.PositiveIntegerField(default=0, editable=False)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True, editable=False)
    accepted_user = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                      editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                   editable=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["msp", "token_hash"], name="invite_msp_token_unique"),
            # One open invite per address and MSP; a new invite first closes an expired one.
            models.UniqueConstraint("msp", Lower("email"), name="invite_msp_open_email_unique",
                                    condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True)),
        ]

    def __str__(self):
        return f"Invite for {self.email}"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and not self.is_expired

    @property
    def status(self) -> str:
        if self.accepted_at is not None:
            return "accepted"
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.is_expired else "pending"


class InviteTechGroup(MspOwnedModel):
    """The tech groups the invitee joins on acceptance."""

    invite = TenantForeignKey(Invite, on_delete=models.CASCADE)
    group = TenantForeignKey(TechGroup, on_delete=models.CASCADE)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["msp", "invite", "group"], name="invitetechgroup_unique")]


class SignInDevice(MspOwnedModel):
    """A browser a staff user has signed in from, known by a random token in a
    long-lived cookie (only its SHA-256 is stored). A sign-in from a browser without a
    known token emails the user (accounts.devices). Platform admins (no MSP) have none."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sign_in_devices")
    token_hash = models.CharField(max_length=64)
    user_agent = models.CharField(max_length=300, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["msp", "token_hash"], name="signindevice_msp_token_unique")]
        indexes = [models.Index(fields=["msp", "user", "-last_seen_at"])]

    def __str__(self):
        return f"{self.user} · {self.user_agent[:60] or 'unknown browser'}"
