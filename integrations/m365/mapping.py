"""Graph objects → OpsMerge fields (design/m365-sync.md §3). Only the fields Microsoft
365 owns appear here; everything else on a contact or asset belongs to technicians
and the sync never writes it. Partial delta objects map only the keys they carry."""

from __future__ import annotations

import re

from django.utils.dateparse import parse_datetime

from .conf import SERVICE_ACCOUNT_PREFIXES

USER_SELECT = ("id,displayName,givenName,surname,mail,userPrincipalName,jobTitle,mobilePhone,businessPhones,"
               "accountEnabled,userType,department,officeLocation")
DEVICE_SELECT = ("id,deviceId,displayName,operatingSystem,operatingSystemVersion,approximateLastSignInDateTime,"
                 "accountEnabled,isManaged,isCompliant,trustType,manufacturer,model")
MANAGED_SELECT = ("id,azureADDeviceId,deviceName,serialNumber,manufacturer,model,operatingSystem,osVersion,"
                  "lastSyncDateTime,userPrincipalName,emailAddress,complianceState")
ZERO_GUID = "00000000-0000-0000-0000-000000000000"

# M365-owned fields (attnames) the sync may write.
CONTACT_OWNED = ("first_name", "last_name", "email", "phone", "mobile", "job_title", "department", "office",
                 "is_active", "m365_upn", "m365_removed_at", "m365_removed_reason")
CONTACT_LINK = ("m365_tenant_id", "m365_object_id")
ASSET_OWNED = ("name", "os", "os_version", "manufacturer", "model", "is_managed", "is_compliant", "is_active",
               "last_seen_at", "m365_device_id", "removed_at", "removed_reason")
ASSET_LINK = ("m365_tenant_id", "m365_object_id")
INTUNE_OWNED = ("serial_number", "intune_id", "is_compliant", "contact_id", "manufacturer", "model",
                "is_managed", "last_seen_at", "m365_tenant_id")

REMOVAL_REASONS = {"changed": "soft_deleted", "deleted": "deleted"}
# What deciding whether a user becomes a contact reads (guest? service account? disabled?).
# A delta object without all of them is partial: for a user OpsMerge does not hold, the
# sync reads the whole user before deciding (a skipped user stays skipped).
USER_DECISION_KEYS = ("userPrincipalName", "userType", "givenName", "surname", "accountEnabled")


def is_partial_user(obj: dict) -> bool:
    return any(key not in obj for key in USER_DECISION_KEYS)


def clip(value, length: int) -> str:
    return ("" if value is None else str(value)).strip()[:length]


def _email(value) -> str:
    value = clip(value, 254).lower()
    return value if "@" in value and "#ext#" not in value and " " not in value else ""


def is_guest(obj: dict) -> bool:
    return obj.get("userType") == "Guest" or "#EXT#" in (obj.get("userPrincipalName") or "")


def is_service_account(obj: dict) -> bool:
    """A nameless mailbox such as svc-backup@, scanner@, noreply@, HealthMailbox…@."""
    if obj.get("givenName") or obj.get("surname"):
        return False
    if "givenName" not in obj and "surname" not in obj:
        return False  # a partial update says nothing about it
    local = (obj.get("userPrincipalName") or obj.get("mail") or "").split("@")[0].lower()
    return bool(local) and local.startswith(SERVICE_ACCOUNT_PREFIXES)


def user_fields(obj: dict, current: dict | None, now) -> dict:
    """Contact fields from a (possibly partial) user; `current` is the stored row."""
    cur = current or {}
    out: dict = {}
    if "givenName" in obj:
        out["first_name"] = clip(obj["givenName"], 100)
    if "surname" in obj:
        out["last_name"] = clip(obj["surname"], 100)
    first = out.get("first_name", cur.get("first_name", ""))
    last = out.get("last_name", cur.get("last_name", ""))
    if obj.get("displayName") and not first and not last:
        parts = str(obj["displayName"]).split(None, 1)
        out["first_name"] = clip(parts[0], 100)
        out["last_name"] = clip(parts[1] if len(parts) > 1 else "", 100)
    if "userPrincipalName" in obj:
        out["m365_upn"] = clip(obj["userPrincipalName"], 255)
    upn = out.get("m365_upn", cur.get("m365_upn", ""))
    if "mail" in obj:
        out["email"] = _email(obj["mail"]) or _email(upn)
    elif "userPrincipalName" in obj and (not cur.get("email") or cur.get("email") == _email(cur.get("m365_upn"))):
        out["email"] = _email(upn)  # the email came from the UPN, so follow it
    if "businessPhones" in obj:
        phones = obj["businessPhones"] or []
        out["phone"] = clip(phones[0] if phones else "", 40)
    if "mobilePhone" in obj:
        out["mobile"] = clip(obj["mobilePhone"], 40)
    if "jobTitle" in obj:
        out["job_title"] = clip(obj["jobTitle"], 120)
    if "department" in obj:
        out["department"] = clip(obj["department"], 120)
    if "officeLocation" in obj:
        out["office"] = clip(obj["officeLocation"], 120)
    _activity(out, obj, cur, now, "m365_removed_at", "m365_removed_reason")
    return out


def _activity(out: dict, obj: dict, cur: dict, now, at_field: str, reason_field: str) -> None:
    """Present in Graph = not removed; accountEnabled decides active vs disabled."""
    enabled = obj.get("accountEnabled") if "accountEnabled" in obj else None
    if enabled is False:
        out["is_active"] = False
        out[reason_field] = "disabled"
        out[at_field] = cur.get(at_field) if cur.get(reason_field) == "disabled" else now
    elif enabled is True or not cur or cur.get(reason_field) not in ("", "disabled"):
        out["is_active"] = True
        out[reason_field] = ""
        out[at_field] = None


def parse_time(value):
    return parse_datetime(value) if value else None


def device_kind(obj: dict) -> str:
    os_name = (obj.get("operatingSystem") or "").lower()
    model = (obj.get("model") or "").lower()
    if "server" in os_name:
        return "server"
    if os_name in ("ios", "ipados", "android", "androidforwork", "windowsphone") or "iphone" in model:
        return "mobile"
    if os_name.startswith("mac") or re.search(r"book|laptop|latitude|thinkpad|surface", model):
        return "laptop"
    if os_name.startswith("windows"):
        return "workstation"
    return "other"


def device_fields(obj: dict, current: dict | None, now) -> dict:
    cur = current or {}
    out: dict = {}
    if "displayName" in obj:
        out["name"] = clip(obj["displayName"] or obj.get("deviceId") or obj["id"], 200)
    if "operatingSystem" in obj:
        out["os"] = clip(obj["operatingSystem"], 100)
    if "operatingSystemVersion" in obj:
        out["os_version"] = clip(obj["operatingSystemVersion"], 100)
    if "manufacturer" in obj:
        out["manufacturer"] = clip(obj["manufacturer"], 100)
    if "model" in obj:
        out["model"] = clip(obj["model"], 100)
    if "isManaged" in obj:
        out["is_managed"] = bool(obj["isManaged"])
    if "isCompliant" in obj:
        out["is_compliant"] = obj["isCompliant"]
    if "approximateLastSignInDateTime" in obj:
        # Only forward: Intune's later check-in (managed_fields) must not be undone by the
        # Entra listing, or every full sync would rewrite each enriched asset twice.
        seen = parse_time(obj["approximateLastSignInDateTime"])
        latest = cur.get("last_seen_at")
        out["last_seen_at"] = latest if latest and (seen is None or seen < latest) else seen
    if "deviceId" in obj:
        out["m365_device_id"] = clip(obj["deviceId"], 64)
    _activity(out, obj, cur, now, "removed_at", "removed_reason")
    return out


def managed_fields(obj: dict, current: dict | None, owner_id) -> dict:
    """Intune enrichment: serial, owner, compliance, hardware, last check-in."""
    cur = current or {}
    out = {
        "intune_id": clip(obj["id"], 64),
        "is_managed": True,
        "contact_id": owner_id if owner_id is not None else cur.get("contact_id"),
    }
    if obj.get("serialNumber"):
        out["serial_number"] = clip(obj["serialNumber"], 100)
    state = obj.get("complianceState")
    if state in ("compliant", "noncompliant"):
        out["is_compliant"] = state == "compliant"
    for key, field in (("manufacturer", "manufacturer"), ("model", "model")):
        if obj.get(key):
            out[field] = clip(obj[key], 100)
    synced = parse_time(obj.get("lastSyncDateTime"))
    if synced and (cur.get("last_seen_at") is None or synced > cur["last_seen_at"]):
        out["last_seen_at"] = synced
    return out
