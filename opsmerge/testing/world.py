"""Extension point for the isolation test's per-MSP world.

Apps that add MSP-owned models and routes add one object of each kind here, keyed
by the URL kwarg name their routes use (e.g. "job" for <int:job_pk>), so that the
route enumerator in opsmerge/tests/test_isolation.py can fill it with MSP B's id.
"""


def extra_world_objects(*, label, msp, user, objects) -> dict:
    from api.tests.factories import ApiKeyFactory

    extra = {}
    extra["api_key"] = ApiKeyFactory(msp=msp, name=f"{label} API key")
    return extra
