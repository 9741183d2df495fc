"""Settings for the test suite: the real settings, plus what only tests need.
Still real PostgreSQL and Redis (DATABASE_URL / REDIS_URL, defaults on localhost)."""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "test-only-not-secret")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")
# Each xdist worker gets its own Redis db (REDIS_URL's db + worker number): tests
# clear the cache (a FLUSHDB) and count rate limits, so workers must not share one.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _worker.startswith("gw") and _worker[2:].isdigit():
    _base, _, _db = os.environ["REDIS_URL"].rpartition("/")
    if _db.isdigit():
        os.environ["REDIS_URL"] = f"{_base}/{(int(_db) + int(_worker[2:])) % 16}"

from .settings import *  # noqa: E402, F403
from .settings import CACHES, env  # noqa: E402

DEBUG = False
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only; prod: scrypt (accounts/hashers.py)
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = tempfile.mkdtemp(prefix="opsmerge-test-media-")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
CACHES["default"]["KEY_PREFIX"] = "opsmerge-test"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
MIDDLEWARE = [m for m in MIDDLEWARE if m != "whitenoise.middleware.WhiteNoiseMiddleware"]  # noqa: F405

if OPSMERGE_CITUS:  # noqa: F405
    # Every query of the Citus test run must reach one node (one MSP's shard): a
    # multi-shard query is an error unless wrapped in opsmerge.citus.multi_shard_allowed().
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c citus.multi_task_query_log_level=error"  # noqa: F405
