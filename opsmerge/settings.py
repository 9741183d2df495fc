"""OpsMerge settings: everything that differs between machines comes from the
environment (django-environ). Every variable is documented in README.md."""

from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="" if not DEBUG else "dev-insecure-key-change-me")
if not SECRET_KEY:
    raise environ.ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "accounts.admin_site.PlatformAdminConfig",  # Django admin: platform admins only (issue 13)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.humanize",  # allauth's MFA pages use it
    "django_filters",
    "django_htmx",
    "django_celery_beat",
    # Staff accounts (issue 13, docs/decisions/0710): sign-in, sign-up with email
    # verification, MFA (TOTP, passkeys, recovery codes), Microsoft sign-in.
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.usersessions",  # the user's sessions list, "sign out everywhere" (issue 13, item 7)
    "opsmerge",
    "accounts",
    "clients",
    "contacts",
    "sites",
    "assets",
    "tickets",
    "billing",
    "portal",
    "integrations.imports",
    "integrations.m365",
    "integrations.psa",
    "integrations.mail",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "api",
    "demo",  # make run's demo data: the top layer, above every app
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.sessions.SessionActivityMiddleware",  # "last seen" of staff sessions (issue 13, item 7)
    "accounts.devices.DeviceCookieMiddleware",  # the cookie a sign-in's new-device check chose
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "opsmerge.middleware.RequestIdMiddleware",
    "opsmerge.middleware.TenantScopeMiddleware",
    "accounts.mfa.RequireMfaMiddleware",  # after the scope: reuses the user's loaded MSP
]

ROOT_URLCONF = "opsmerge.urls"
WSGI_APPLICATION = "opsmerge.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "opsmerge.context_processors.tenant",
            ],
            # The design system's tags and filters (docs/ui.md) in every template.
            "builtins": ["opsmerge.templatetags.ui"],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/opsmerge")}
# PostgreSQL, aware of the (msp_id, id) keys of MSP-owned tables (opsmerge/schema.py)
DATABASES["default"]["ENGINE"] = "opsmerge.dbbackend"
# Fernet keys for secrets stored encrypted (opsmerge/crypto.py), newest first; unset:
# one key derived from SECRET_KEY
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])
# Citus: MSP-owned tables distributed by msp_id after every migrate (opsmerge/citus.py)
OPSMERGE_CITUS = env.bool("OPSMERGE_CITUS", default=False)
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="opsmerge"),
    }
}

AUTH_USER_MODEL = "accounts.User"
# The tenant (MSP) model and the permission policy, named here so the core imports no app.
OPSMERGE_TENANT_MODEL = "accounts.Msp"
OPSMERGE_PERMISSION_POLICY = "accounts.permissions"
AUTHENTICATION_BACKENDS = ["allauth.account.auth_backends.AuthenticationBackend"]
# scrypt first (accounts/hashers.py: memory-hard, ~50 ms); PBKDF2 hashes made before
# still verify and are upgraded at the next sign-in.
PASSWORD_HASHERS = ["accounts.hashers.ScryptPasswordHasher", "django.contrib.auth.hashers.PBKDF2PasswordHasher"]
PASSWORD_SCRYPT_LOG2_N = env.int("PASSWORD_SCRYPT_LOG2_N", default=14)
PASSWORD_SCRYPT_BLOCK_SIZE = env.int("PASSWORD_SCRYPT_BLOCK_SIZE", default=8)
PASSWORD_SCRYPT_PARALLELISM = env.int("PASSWORD_SCRYPT_PARALLELISM", default=1)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "accounts:login"

# django-allauth (docs/decisions/0710-staff-accounts-allauth.md). Sign-in by email only;
# the User model has no username. Our adapter (accounts.adapter) creates the MSP on
# sign-up and asks for a verified email only from accounts that signed up themselves.
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
# MSP self-service sign-up at /accounts/signup/; private deployments set it off.
OPSMERGE_SIGNUP_ENABLED = env.bool("OPSMERGE_SIGNUP_ENABLED", default=True)
ACCOUNT_FORMS = {"login": "accounts.forms.SignInForm", "signup": "accounts.forms.MspSignUpForm"}
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_SESSION_REMEMBER = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "OpsMerge: "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SITE_URL.startswith("https") else "http"
ACCOUNT_PREVENT_ENUMERATION = True
# Sign in with Microsoft (accounts.entra): Entra ID's multi-tenant OpenID Connect endpoints
# at M365_AUTHORITY_HOST. The app defaults to the Microsoft 365 app (M365_CLIENT_ID); a
# separate registration can be named. The email must be verified (xms_edov) and belong
# to a staff user or an open invite.
SOCIALACCOUNT_ADAPTER = "accounts.adapter.SocialAccountAdapter"
SOCIALACCOUNT_AUTO_SIGNUP = False
SOCIALACCOUNT_LOGIN_ON_GET = False  # the sign-in page POSTs (no sign-in started by a link)
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False  # matching by email is ours (SocialAccountAdapter)
SOCIALACCOUNT_STORE_TOKENS = False
MICROSOFT_SIGNIN_ENABLED = env.bool("MICROSOFT_SIGNIN_ENABLED", default=True)
MICROSOFT_SIGNIN_CLIENT_ID = env.str("MICROSOFT_SIGNIN_CLIENT_ID", default="")
MICROSOFT_SIGNIN_CLIENT_SECRET = env.str("MICROSOFT_SIGNIN_CLIENT_SECRET", default="")
# MFA (allauth.mfa): authenticator apps (TOTP), passkeys / security keys (WebAuthn) and
# recovery codes; passkeys can also sign in on their own (they are two factors in one).
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_FORMS = {"authenticate": "accounts.forms.MfaAuthenticateForm",  # our limits on second-factor codes
             "reauthenticate": "accounts.forms.MfaReauthenticateForm"}
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_TOTP_ISSUER = env.str("MFA_TOTP_ISSUER", default="OpsMerge")
# WebAuthn needs a secure context; plain-HTTP origins other than localhost only in DEBUG.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG
# Step-up (accounts.stepup): how long a re-entered second factor counts, in seconds.
ACCOUNT_REAUTHENTICATION_TIMEOUT = env.int("STEP_UP_SECONDS", default=5 * 60)
# Failed sign-ins are limited by accounts.throttle (our Redis limiter, per email and per
# IP, with the lockout email); allauth's own cache-based count of them is switched off.
ACCOUNT_RATE_LIMITS = {"login_failed": None, "login": None}
# Sessions are recorded at sign-in and touched at most every 5 minutes by
# accounts.sessions (allauth's own tracking writes on every request).
USERSESSIONS_TRACK_ACTIVITY = False

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded files (decision 0220): stored per MSP under msp/<msp id>/<kind>/<random token>
# (opsmerge.files) and only ever streamed by views that check the MSP. No URL serves
# MEDIA_ROOT or the bucket: MEDIA_URL is never routed, nor used by any template.
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
FILE_STORAGE = env.str("FILE_STORAGE", default="local")  # local | s3
if FILE_STORAGE not in ("local", "s3"):
    raise environ.ImproperlyConfigured("FILE_STORAGE must be 'local' or 's3'")
if FILE_STORAGE == "s3":
    # Any S3-compatible store (AWS, MinIO, Ceph, Wasabi …) through django-storages.
    # Objects are private; with querystring_auth an accidental .url would only ever be
    # a short-lived signed URL, never a public one.
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("FILE_STORAGE_BUCKET"),
            "endpoint_url": env.str("FILE_STORAGE_ENDPOINT_URL", default="") or None,
            "region_name": env.str("FILE_STORAGE_REGION", default="") or None,
            "access_key": env.str("FILE_STORAGE_ACCESS_KEY", default="") or None,
            "secret_key": env.str("FILE_STORAGE_SECRET_KEY", default="") or None,
            "location": env.str("FILE_STORAGE_PREFIX", default=""),
            "addressing_style": env.str("FILE_STORAGE_ADDRESSING_STYLE", default="") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": 300,
            "file_overwrite": False,
            "custom_domain": None,
        },
    }
else:
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 20_000  # bulk actions post many selected ids

# Email: EMAIL_URL, e.g. smtp+tls://user:pass@host:587, consolemail://, filemail:///path
_email = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(_email)
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(BASE_DIR / "var" / "outbox"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="OpsMerge <no-reply@opsmerge.local>")

# Security: production defaults are strict; DEBUG relaxes only what local HTTP needs.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 12)
X_FRAME_OPTIONS = "DENY"

# Celery: Redis as broker and result backend; tasks always take msp_id first.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL)
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Fixed schedules (the DatabaseScheduler copies them into its table at start); per-MSP
# ones (Microsoft 365 syncs) are PeriodicTask rows written by their service.
CELERY_BEAT_SCHEDULE = {
    "import-files-expire": {
        "task": "integrations.imports.tasks.import_files_expire_all",
        "schedule": crontab(hour=3, minute=17),
    },
    "tickets-sla-warnings": {  # due-soon / breached emails (tickets.sla.warnings)
        "task": "tickets.sla_warn_all",
        "schedule": crontab(minute="*"),
    },
    # Each active support mailbox is polled by its own task (integrations.mail).
    "mail-poll-all": {"task": "mail.poll_all", "schedule": 60.0},
    # Ticket replies held by a client's portal quiet hours go out when they end.
    "portal-quiet-hours-release": {"task": "portal.quiet_hours_release", "schedule": 300.0},
}
# Inbound email: a message larger than this is recorded as failed, never parsed.
MAIL_INBOUND_MAX_BYTES = env.int("MAIL_INBOUND_MAX_BYTES", default=25 * 1024 * 1024)
MAIL_IMAP_TIMEOUT_SECONDS = env.int("MAIL_IMAP_TIMEOUT_SECONDS", default=30)
MAIL_IMAP_CA_FILE = env.str("MAIL_IMAP_CA_FILE", default="")  # IMAPS to a private CA
CELERY_TIMEZONE = "UTC"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Microsoft 365 / Entra (see docs and design/m365-sync.md)
M365_CLIENT_ID = env.str("M365_CLIENT_ID", default="")
M365_CLIENT_SECRET = env.str("M365_CLIENT_SECRET", default="")
M365_AUTHORITY_HOST = env.str("M365_AUTHORITY_HOST", default="https://login.microsoftonline.com").rstrip("/")
M365_GRAPH_URL = env.str("M365_GRAPH_URL", default="https://graph.microsoft.com").rstrip("/")
M365_CA_BUNDLE = env.str("M365_CA_BUNDLE", default="")
M365_REDIRECT_URL = env.str("M365_REDIRECT_URL", default=f"{SITE_URL}/integrations/m365/callback/")

# PSA connectors (integrations/psa, docs/psa.md): the CA to trust (the local emulator's), retries.
PSA_CA_BUNDLE = env.str("PSA_CA_BUNDLE", default="")
PSA_MAX_TRIES = env.int("PSA_MAX_TRIES", default=5)
PSA_MAX_INLINE_WAIT = env.float("PSA_MAX_INLINE_WAIT", default=60.0)
PSA_BACKOFF_BASE = env.float("PSA_BACKOFF_BASE", default=1.0)
PSA_MAX_REQUESTS_PER_SECOND = env.float("PSA_MAX_REQUESTS_PER_SECOND", default=0.0)  # 0: only the PSA's 429s pace us
PSA_SYNC_INTERVAL_MINUTES = env.int("PSA_SYNC_INTERVAL_MINUTES", default=15)

# Uploads
DOCUMENT_MAX_BYTES = env.int("DOCUMENT_MAX_BYTES", default=20 * 1024 * 1024)
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=50 * 1024 * 1024)
# Uploaded import files are deleted this many days after the upload (the jobs stay).
IMPORT_FILE_RETENTION_DAYS = env.int("IMPORT_FILE_RETENTION_DAYS", default=30)

# Tenancy: who opens the MSP scope for a request, in order (opsmerge/middleware.py).
# api.authentication.api_key_msp comes before staff_msp: a request carrying an API key acts as
# that key's MSP even when a browser session is present (docs/decisions/0600).
# portal.scoping.portal_msp comes FIRST: on /portal/ paths it hides any staff login and
# scopes by the portal session only (docs/portal.md).
TENANT_SCOPE_RESOLVERS = ["portal.scoping.portal_msp", "api.authentication.api_key_msp",
                          "accounts.scoping.staff_msp"]
ADMIN_URL = env.str("ADMIN_URL", default="admin/")
# Brute-force limits on staff sign-in / password reset (accounts.throttle). Behind a
# reverse proxy, name the META key of its client-IP header, e.g. HTTP_X_FORWARDED_FOR.
TRUSTED_PROXY_IP_HEADER = env.str("TRUSTED_PROXY_IP_HEADER", default="")

# REST API (docs/api.md). Keys: "opsm_<msp id>_<prefix>_<secret>", stored as SHA-256.
API_KEY_TOKEN_PREFIX = "opsm"  # noqa: S105 - the public marker of a key, not a secret
API_KEY_RATE_LIMIT_PER_MINUTE = env.int("API_KEY_RATE_LIMIT_PER_MINUTE", default=600)
API_SESSION_RATE_LIMIT_PER_MINUTE = env.int("API_SESSION_RATE_LIMIT_PER_MINUTE", default=600)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.OpPermission"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.PerPrincipalRateThrottle"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "api.filters.StableOrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.PagePagination",
    "PAGE_SIZE": 50,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "api.schema.ApiAutoSchema",
    "EXCEPTION_HANDLER": "api.exceptions.api_exception_handler",
    "DEFAULT_VERSIONING_CLASS": None,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "OpsMerge API",
    "DESCRIPTION": "Clients, contacts, sites, assets, tickets, imports and Microsoft 365 syncs of one MSP. "
                   "Authenticate with `Authorization: Bearer <API key>`; see docs/api.md.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "PriorityEnum": "tickets.models.Ticket.Priority",
        "TicketStatusEnum": "tickets.models.Ticket.Status",
        "TicketLevelEnum": "tickets.models.Ticket.Level",  # impact and urgency share one choice set
        "ContactKindEnum": "contacts.models.Contact.Kind",
        "AssetKindEnum": "assets.models.Asset.Kind",
        "ImportKindEnum": "integrations.imports.columns.KIND_CHOICES",
    },
}
