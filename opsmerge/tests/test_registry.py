"""The registries apps fill in AppConfig.ready()."""

from dataclasses import dataclass

import pytest

from clients.views.clients import ClientListView
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
    assert [t.key for t in registry.client_tabs] == ["overview", "contacts", "sites", "assets", "tickets", "sla",
                                                     "billing", "documents", "m365", "psa", "activity"]
    assert [p.key for p in registry.settings_pages] == ["team", "custom_fields", "tech_groups", "security", "sla",
                                                        "cipp", "psa", "email", "api_keys"]
    assert [c.name for c in registry.related_counts if c.model == "clients.Client"] == [
        "contact_count", "site_count", "asset_count", "open_ticket_count", "contract_status", "m365_tenant_count",
        "m365_licensed_users", "m365_health_rank", "psa_kind"]
    assert [c.key for c in registry.list_columns] == ["clients.m365_tenants", "clients.m365_users", "clients.m365_health",
                                                      "clients.psa"]
    assert [f.key for f in registry.list_filters] == ["clients.health", "clients.psa", "tickets.queue"]
    assert [p.key for p in registry.panels if p.slot == "stats"] == [
        "clients.Client.contacts", "clients.Client.assets", "clients.Client.open_tickets", "clients.Client.contract",
        "clients.Client.m365"]
    assert [p.key for p in registry.panels if p.model == "contacts.Contact"] == [
        "contacts.Contact.tickets", "contacts.Contact.assets"]
    assert [s.key for s in registry.onboarding_steps] == ["primary_contact", "hq_site"]
    assert [s.key for s in registry.client_merge_steps] == [
        "duplicate_contacts", "primary_contact", "primary_domain", "hq_site", "site_names", "business_hours", "sla_policy",
        "move", "target_fields", "archive_sources"]
    assert [g.key for g in registry.client_delete_gates] == [
        "contact_email_clash", "outstanding_invoices", "m365_connected"]
    assert [a.name for a in ClientListView.get_bulk_actions()] == [
        "tag_add", "tag_remove", "contract_template", "announce", "export", "archive", "merge"]
    assert "spreadsheet" in registry.exporters
