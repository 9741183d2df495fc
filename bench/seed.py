"""Scale seeder throughput: rows per second that bench.scale.seed_scale writes."""

from django.db import connection

from bench.harness import result
from bench.scale import seed_scale

SHAPE = {"clients": 10_000, "contacts": 100_000, "sites": 20_000, "assets": 50_000, "tickets": 100_000,
         "invoices": 30_000}


def run():
    msp = seed_scale(**SHAPE)
    rows = sum(SHAPE.values()) * 2  # the noise MSP has the same shape
    yield result("seed_scale.seconds", msp.seed_seconds, "s", 120)
    yield result("seed_scale.rows_per_second", rows / msp.seed_seconds, "rows/s", None)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        yield result("seed_scale.database_size", cursor.fetchone()[0] / 2**20, "MiB", None)
