"""Local HTTPS emulator of the Microsoft identity platform and the Graph subset the
sync uses, so tests, the demo and the benchmark run the real msal + requests code.

In-process: ``with Emulator() as emu: emu.state.add_tenant(...)``; or the pytest
fixture ``m365_emulator`` (integrations/m365/tests/conftest.py). As a CLI:
``python -m integrations.m365.emulator --port 8443 --state-dir var/m365-emulator``.
"""

from .server import Emulator
from .state import AADSTS, GRAPH_ROLES, ZERO_GUID, CippApi, EmulatorState, EmuTenant

__all__ = ["AADSTS", "GRAPH_ROLES", "ZERO_GUID", "CippApi", "EmuTenant", "Emulator", "EmulatorState"]
