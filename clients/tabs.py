"""The client page's own tabs, registered into opsmerge.registry.client_tabs (from
ClientsConfig.ready()). Other apps add theirs the same way, either routed by the
clients app under /clients/<pk>/<route>/ (a `view` given) or by their own urls:

    client_tabs.register(ClientTab("sites", "Sites", "clients:sites", view="sites.views.client_tab.ClientSitesTab",
                                   route="sites"), before="documents")
    client_tabs.register(ClientTab("m365", "Microsoft 365", "m365:client_tenants", kwarg="client_pk"),
                         before="activity")
"""

from __future__ import annotations

from opsmerge.registry import ClientTab, client_tabs

BUILT_IN = [
    ClientTab("overview", "Overview", "clients:detail"),
    ClientTab("documents", "Documents", "clients:documents"),
    ClientTab("activity", "Activity", "clients:activity", op="audit_view"),
]


def register_built_in_tabs() -> None:
    for tab in BUILT_IN:
        client_tabs.register(tab)
