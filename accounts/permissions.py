"""The permission matrix: one place that says which role may do what.

docs/permissions.md renders the same table for humans; a test keeps them in step.
Services call `require(user, Op.X)`; templates get `perms_ops` (a set of op names)
from the context processor to hide controls a role cannot use.
"""

from __future__ import annotations

from enum import StrEnum

from django.core.exceptions import PermissionDenied

from .roles import Role


class Op(StrEnum):
    VIEW = "view"  # see clients, contacts, sites, assets, tickets of the MSP
    CLIENT_EDIT = "client_edit"  # create and edit clients, sites, tags, documents
    CONTACT_EDIT = "contact_edit"  # create/edit contacts, role flags, mark inactive
    CONTACT_DELETE = "contact_delete"  # soft-delete a contact
    CONTACT_RESTORE = "contact_restore"  # restore a soft-deleted contact (seed 002)
    CONTACT_MERGE = "contact_merge"
    TICKET_WORK = "ticket_work"  # create, reply to and update tickets
    CLIENT_ARCHIVE = "client_archive"  # archive and restore clients (seed 003)
    CLIENT_DELETE = "client_delete"  # permanent delete of an archived client (seed 003)
    CLIENT_MERGE = "client_merge"  # merge duplicate clients and undo a merge
    BULK_EDIT = "bulk_edit"  # bulk tag / contract template on clients and contacts
    EXPORT = "export"  # CSV / Excel exports
    IMPORT = "import"  # CSV / Excel imports
    M365_CONNECT = "m365_connect"  # connect / disconnect Microsoft 365 tenants
    M365_SYNC = "m365_sync"  # run a Microsoft 365 sync now
    SETTINGS = "settings"  # custom fields, tech groups, MSP settings
    API_KEYS = "api_keys"  # create and revoke API keys
    USERS = "users"  # Settings → Team: invite, roles, tech groups, deactivate / reactivate staff
    SUPER_ADMINS = "super_admins"  # invite or promote to Super Admin, change or deactivate a Super Admin
    AUDIT_VIEW = "audit_view"  # the MSP-wide activity log


_ADMINS = {Role.SUPER_ADMIN, Role.ADMIN, Role.MSP_ADMIN}
_ARCHIVERS = _ADMINS | {Role.COMPLIANCE_ADMIN}
_WORKERS = _ARCHIVERS | {Role.TECHNICIAN}
_EVERYONE = _WORKERS | {Role.READ_ONLY}

MATRIX: dict[Op, frozenset[Role]] = {
    Op.VIEW: frozenset(_EVERYONE),
    Op.CLIENT_EDIT: frozenset(_WORKERS),
    Op.CONTACT_EDIT: frozenset(_WORKERS),
    Op.CONTACT_DELETE: frozenset(_WORKERS),
    Op.CONTACT_RESTORE: frozenset({Role.SUPER_ADMIN}),
    Op.CONTACT_MERGE: frozenset(_WORKERS),
    Op.TICKET_WORK: frozenset(_WORKERS),
    Op.CLIENT_ARCHIVE: frozenset(_ARCHIVERS),
    Op.CLIENT_DELETE: frozenset({Role.SUPER_ADMIN}),
    Op.CLIENT_MERGE: frozenset(_ADMINS),
    Op.BULK_EDIT: frozenset(_WORKERS),
    Op.EXPORT: frozenset(_EVERYONE),
    Op.IMPORT: frozenset(_ADMINS),
    Op.M365_CONNECT: frozenset(_ADMINS),
    Op.M365_SYNC: frozenset(_WORKERS),
    Op.SETTINGS: frozenset(_ADMINS),
    Op.API_KEYS: frozenset(_ADMINS),
    Op.USERS: frozenset({Role.SUPER_ADMIN, Role.ADMIN}),
    Op.SUPER_ADMINS: frozenset({Role.SUPER_ADMIN}),
    Op.AUDIT_VIEW: frozenset(_EVERYONE),
}


def user_can(user, op: Op) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if getattr(user, "msp_id", None) is None:
        return False
    return Role(user.role) in MATRIX[op]


def require(user, op: Op) -> None:
    """Raise PermissionDenied (HTTP 403) unless `user` may perform `op`."""
    if not user_can(user, op):
        raise PermissionDenied(f"Your role cannot perform: {str(op).replace('_', ' ')}.")


def permissions_for(user) -> frozenset[str]:
    return frozenset(op.value for op in Op if user_can(user, op))
