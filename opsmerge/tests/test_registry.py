"""The registries apps fill in AppConfig.ready()."""

from dataclasses import dataclass

import pytest

from opsmerge import registry
from opsmerge.registry import Registry


@dataclass(frozen=True)
class Entry:
    key: str


def test_register_keeps_order_places_before_and_ignores_a_second_registration():
    reg = Registry[Entry]("demo")
    reg.register(Entry("a"))
    reg.register(Entry("c"))
    reg.register(Entry("b"), before="c")
    reg.register(Entry("a"))
    assert [e.key for e in reg] == ["a", "b", "c"]
    assert "b" in reg and reg["b"] == Entry("b")
    with pytest.raises(KeyError, match="nothing registered as 'z'"):
        reg["z"]
    reg.unregister("b")
    assert [e.key for e in reg] == ["a", "c"]


def test_apps_filled_the_core_registries_in_layer_order():
    assert [p.key for p in registry.search_providers] == ["clients", "contacts", "sites", "assets"]
    assert [i.label for i in registry.nav] == ["Clients", "Contacts", "Sites", "Assets", "Tickets", "Imports",
                                               "Integrations", "Activity", "Settings", "API keys"]
    assert [t.key for t in registry.client_tabs][-2:] == ["m365", "activity"]
    assert [p.key for p in registry.settings_pages] == ["custom_fields", "tech_groups", "api_keys"]
    assert [c.key for c in registry.client_counts] == ["contact_count", "site_count", "asset_count", "open_ticket_count"]
    assert "spreadsheet" in registry.exporters
