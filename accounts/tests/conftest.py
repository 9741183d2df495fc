# The Microsoft 365 emulator (identity platform) for Sign in with Microsoft tests.
from integrations.m365.tests.conftest import m365_emulator, m365_emulator_server  # noqa: F401
