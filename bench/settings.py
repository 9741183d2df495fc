"""Settings for benchmarks: the production settings (DEBUG off, so no query log in
memory), pointed at a scratch database `<DATABASE_URL's name>_bench` (or
BENCH_DATABASE_NAME) that `python -m bench` recreates from a migrated template on
every run, or at BENCH_DATABASE_URL's database, which it migrates and empties (with
OPSMERGE_CITUS=1 for a Citus coordinator). Only what a benchmark in a shell needs is
relaxed."""

import os

os.environ.setdefault("SECRET_KEY", "bench-only-not-secret")

from opsmerge.settings import *  # noqa: F403
from opsmerge.settings import DATABASES, OPSMERGE_CITUS, env

BENCH_SOURCE_DATABASE = DATABASES["default"]["NAME"]
if os.environ.get("BENCH_DATABASE_URL"):
    # A database of its own, e.g. a Citus coordinator's (created on every node by
    # ../shared/vendor/citus/cluster.sh): emptied, not recreated, before each benchmark.
    DATABASES["default"].update(env.db("BENCH_DATABASE_URL"), ENGINE="opsmerge.dbbackend")
    BENCH_SOURCE_DATABASE = ""
    BENCH_RECREATE = False
else:
    DATABASES["default"]["NAME"] = os.environ.get("BENCH_DATABASE_NAME") or f"{BENCH_SOURCE_DATABASE}_bench"
    BENCH_RECREATE = True
BENCH_CITUS = OPSMERGE_CITUS
DATABASES["default"]["CONN_MAX_AGE"] = None  # one connection for the whole run

DEBUG = False
SECURE_SSL_REDIRECT = False  # the Django test client speaks plain HTTP
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
