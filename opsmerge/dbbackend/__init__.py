"""Django's PostgreSQL backend, told about the tenant keys (opsmerge.schema)."""
