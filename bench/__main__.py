"""`python -m bench` lists the benchmarks; `python -m bench NAME [NAME ...]` runs them.

Each run gets a fresh scratch database: a template `<bench db>_tpl` is kept migrated
(fast when nothing changed) and `<bench db>` is recreated from it, so benchmarks never
see the demo data nor each other's rows. The database server is the one DATABASE_URL
names; the database name is `<its name>_bench` or BENCH_DATABASE_NAME.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
NOT_BENCHMARKS = {"harness", "scale", "settings", "__main__"}
KEYS = ("name", "value", "unit", "target")


def available() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules([str(HERE)])
                  if not m.name.startswith("_") and m.name not in NOT_BENCHMARKS)


def _summary(name: str) -> str:
    spec = importlib.util.find_spec(f"bench.{name}")
    source = Path(spec.origin).read_text(encoding="utf-8") if spec and spec.origin else ""
    import ast

    doc = ast.get_docstring(ast.parse(source)) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def _log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def prepare_database(*, fresh_template: bool = False) -> str:
    """Migrate the template (when needed) and recreate the scratch database from it."""
    import psycopg
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections

    db = settings.DATABASES["default"]
    name = db["NAME"]
    if not settings.BENCH_RECREATE:
        return empty_database()
    if name == settings.BENCH_SOURCE_DATABASE:
        raise SystemExit("BENCH_DATABASE_NAME must differ from the application's database")
    template = f"{name}_tpl"
    server = {"host": db.get("HOST") or db.get("OPTIONS", {}).get("host"), "port": db.get("PORT"),
              "user": db.get("USER"), "password": db.get("PASSWORD")}
    params = {k: v for k, v in server.items() if v}

    def admin_sql(*statements: str) -> None:
        with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
            for statement in statements:
                conn.execute(statement)

    def exists(dbname: str) -> bool:
        with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
            return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [dbname]).fetchone() is not None

    if fresh_template:
        admin_sql(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
    if not exists(template):
        admin_sql(f'CREATE DATABASE "{template}"')
    connections.close_all()
    connections["default"].settings_dict["NAME"] = template
    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    connections.close_all()
    _log(f"template {template} migrated in {time.perf_counter() - started:.1f}s")
    admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    connections["default"].settings_dict["NAME"] = name
    return name


def empty_database() -> str:
    """BENCH_DATABASE_URL's database (e.g. a Citus coordinator's, which exists on every
    node): migrated, then every table emptied but the migration history."""
    from django.core.management import call_command
    from django.db import connection

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    tables = [t for t in connection.introspection.table_names() if t != "django_migrations"]
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE " + ", ".join(connection.ops.quote_name(t) for t in tables))
    _log(f"{connection.settings_dict['NAME']} migrated and emptied in {time.perf_counter() - started:.1f}s")
    return connection.settings_dict["NAME"]


def run_one(name: str) -> int:
    module = importlib.import_module(f"bench.{name}")
    failures = 0
    for row in module.run():
        missing = [k for k in KEYS if k not in row]
        if missing:
            _log(f"{name}: result without {missing}: {row!r}")
            failures += 1
            continue
        print(json.dumps({k: row[k] for k in KEYS} | {k: v for k, v in row.items() if k not in KEYS}), flush=True)
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="benchmarks to run (none: list them)")
    parser.add_argument("--fresh-template", action="store_true", help="drop and re-migrate the template database")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(HERE.parent))
    names = available()
    if not args.names:
        for name in names:
            print(f"{name:20} {_summary(name)}")
        return 0
    unknown = [n for n in args.names if n not in names]
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; available: {', '.join(names)}")

    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    import django

    django.setup()
    failures = 0
    for index, name in enumerate(args.names):
        database = prepare_database(fresh_template=args.fresh_template and index == 0)
        _log(f"{name}: scratch database {database} ready")
        started = time.perf_counter()
        failures += run_one(name)
        _log(f"{name} finished in {time.perf_counter() - started:.1f}s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
