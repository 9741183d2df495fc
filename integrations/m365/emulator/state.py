"""In-memory state of the Microsoft 365 emulator: apps, tenants, directory objects,
a change log for delta queries, issued tokens, scripted faults and counters.

Pure Python (no Django): the emulator runs in a pytest fixture, or as a CLI for the
demo and the benchmark. Everything is guarded by one lock; handlers read through it.
"""

from __future__ import annotations

import bisect
import random
import threading
import time
import uuid
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime

GRAPH_ROLES = (
    "User.Read.All",
    "Device.Read.All",
    "DeviceManagementManagedDevices.Read.All",
    "Organization.Read.All",
    "SecurityEvents.Read.All",
    "AuditLog.Read.All",
)
# Common SKUs a small business tenant holds: (skuPartNumber, bought per member, extra units).
_SKUS = (("SPB", 1.0, 2), ("EXCHANGESTANDARD", 0.1, 1), ("FLOW_FREE", 0, 10000))
ZERO_GUID = "00000000-0000-0000-0000-000000000000"

# AADSTS bodies the token endpoint can answer with (error, HTTP status, description).
AADSTS = {
    700016: ("unauthorized_client", 400, "Application with identifier '{client_id}' was not found in the "
             "directory '{tid}'. This can happen if the application has not been installed by the "
             "administrator of the tenant."),
    7000229: ("invalid_client", 400, "The client application {client_id} is missing service principal in "
              "the tenant {tid}."),
    65001: ("invalid_grant", 400, "The user or administrator has not consented to use the application "
            "with ID '{client_id}'."),
    7000215: ("invalid_client", 401, "Invalid client secret provided."),
    7000222: ("invalid_client", 401, "The provided client secret keys for app '{client_id}' are expired."),
    90002: ("invalid_request", 400, "Tenant '{tid}' not found. Check to make sure you have the correct "
            "tenant ID."),
    90055: ("temporarily_unavailable", 503, "The service is temporarily unavailable. Too many requests."),
}

_FIRST = ("Ava", "Ben", "Chloe", "Dan", "Ella", "Finn", "Grace", "Harry", "Isla", "Jack", "Kara", "Liam",
          "Maya", "Noah", "Olive", "Priya", "Quinn", "Ravi", "Sofia", "Tom", "Uma", "Vik", "Wen", "Yusuf", "Zoe")
_LAST = ("Adams", "Baker", "Clarke", "Davies", "Evans", "Fischer", "Garcia", "Hughes", "Iqbal", "Jones",
         "Khan", "Lewis", "Moreau", "Nowak", "Okafor", "Patel", "Rossi", "Smith", "Taylor", "Walsh", "Young")
_TITLES = ("Accountant", "Engineer", "Office Manager", "Director", "Analyst", "Designer", "Receptionist", "")
_DEPTS = ("Finance", "Engineering", "Operations", "Sales", "HR", "")
_OS = (("Windows", "10.0.22631", "Dell Inc.", "Latitude 7440", "LAPTOP"),
       ("Windows", "10.0.19045", "HP", "EliteDesk 800 G9", "DESKTOP"),
       ("MacMDM", "14.5", "Apple", "MacBook Pro", "MBP"),
       ("iOS", "17.5", "Apple", "iPhone 15", "IPHONE"),
       ("Android", "14", "Samsung", "Galaxy S24", "ANDROID"),
       ("Windows Server", "10.0.20348", "Microsoft Corporation", "Virtual Machine", "SRV"))


def _guid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def graph_now() -> str:
    """The current time as Graph writes a DateTimeOffset (UTC, second precision)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class App:
    client_id: str
    secret: str
    expired: bool = False
    redirect_uris: list[str] = field(default_factory=list)  # empty: accept any (demo)


@dataclass
class Fault:
    """One scripted fault. `status` is an HTTP status, or "stall" (sleep then serve),
    "expire_tokens" (revoke the tenant's tokens, then serve: the call answers 401),
    or "aadsts" (token endpoint answers that AADSTS `code`)."""

    route: str
    status: int | str
    retry_after: int | None = None
    code: str | int | None = None
    times: int = 1
    skip: int = 0
    seconds: float = 0.0


@dataclass
class CippApi:
    """An emulated CIPP instance (CIPP-API): its API app lives in the MSP's own tenant
    `tid` (not one of the managed tenants); `has_role` False makes every call 403."""

    tid: str
    client_id: str
    secret: str
    has_role: bool = True
    tokens: set[str] = field(default_factory=set)

    @property
    def scope(self) -> str:
        return f"api://{self.client_id}/.default"


class EmuTenant:
    """One Entra tenant: organisation, directory objects in insertion order, and a
    change log of (seq, id, changed keys or None for "whole object") per resource."""

    RESOURCES = ("users", "devices", "managed")

    def __init__(self, tid: str, display_name: str, domains: list[str], *, consented: bool = True,
                 roles=GRAPH_ROLES, intune: bool = True):
        self.tid = tid
        self.display_name = display_name
        self.domains = list(domains)
        self.msp_own = False  # an MSP's own tenant (staff sign-in), not a managed customer: CIPP leaves it out
        self.consented = consented
        self.roles = set(roles)
        self.intune = intune
        self.token_error: int | None = None  # force an AADSTS code on the token endpoint
        self.objects: dict[str, dict[str, dict]] = {r: {} for r in self.RESOURCES}
        self.order: dict[str, list[str]] = {r: [] for r in self.RESOURCES}
        self.removed: dict[str, dict[str, str]] = {r: {} for r in self.RESOURCES}  # id -> reason
        self.log: dict[str, list[tuple[int, str, frozenset | None]]] = {r: [] for r in self.RESOURCES}
        self.seq = 0
        self.delta_min_seq = 0  # delta tokens below this are expired
        self.delta_expiry_mode = "410"  # or "syncStateNotFound"
        # Health: /subscribedSkus, /security/secureScores (newest first), MFA registrations.
        self.skus: list[dict] = []
        self.secure_scores: list[dict] = []
        self.mfa_registered: set[str] = set()

    # -- organisation -------------------------------------------------------
    def organization(self) -> dict:
        initial = next((d for d in self.domains if d.endswith(".onmicrosoft.com")), None)
        default = self.domains[0] if self.domains else initial
        return {
            "id": self.tid,
            "displayName": self.display_name,
            "verifiedDomains": [
                {"name": d, "isDefault": d == default, "isInitial": d == initial, "type": "Managed",
                 "capabilities": "Email, OfficeCommunicationsOnline"}
                for d in self.domains
            ],
        }

    # -- mutations (each appends to the change log) ---------------------------
    def _touch(self, resource: str, oid: str, keys) -> None:
        self.seq += 1
        self.log[resource].append((self.seq, oid, None if keys is None else frozenset(keys)))

    def add(self, resource: str, obj: dict) -> dict:
        oid = obj["id"]
        if oid not in self.objects[resource]:
            self.order[resource].append(oid)
        self.objects[resource][oid] = obj
        self.removed[resource].pop(oid, None)
        self._touch(resource, oid, None)
        return obj

    def update(self, resource: str, oid: str, **changes) -> dict:
        obj = self.objects[resource][oid]
        obj.update(changes)
        self._touch(resource, oid, changes.keys())
        return obj

    def remove(self, resource: str, oid: str, reason: str = "deleted") -> None:
        """reason "changed" = soft-deleted (restorable), "deleted" = gone for good."""
        self.removed[resource][oid] = reason
        self._touch(resource, oid, None)

    def check_in(self, oid: str, **changes) -> dict:
        """An Intune device syncs with Intune now (lastSyncDateTime = now), reporting `changes`.
        As in Entra, Intune writes a new compliance state onto the device object too."""
        managed = self.update("managed", oid, lastSyncDateTime=graph_now(), **changes)
        if "complianceState" in changes:
            device = self._entra_by_device_id().get(managed.get("azureADDeviceId"))
            if device is not None:
                self.update("devices", device, isCompliant=changes["complianceState"] == "compliant")
        return managed

    def _entra_by_device_id(self) -> dict[str, str]:
        index = getattr(self, "_device_index", None)
        if index is None or len(index) != len(self.objects["devices"]):
            index = self._device_index = {o["deviceId"]: oid for oid, o in self.objects["devices"].items()
                                          if o.get("deviceId")}
        return index

    def restore(self, resource: str, oid: str) -> None:
        self.removed[resource].pop(oid, None)
        self._touch(resource, oid, None)

    def expire_delta_tokens(self, mode: str = "410") -> None:
        self.delta_min_seq = self.seq + 1
        self.delta_expiry_mode = mode

    def live(self, resource: str, oid: str) -> bool:
        return oid in self.objects[resource] and oid not in self.removed[resource]

    def changes_since(self, resource: str, since: int, upto: int) -> list[tuple[str, frozenset | None]]:
        """Objects changed in (since, upto], merged per id, in order of last change."""
        log = self.log[resource]
        start = bisect.bisect_right(log, (since, "\uffff"))
        merged: dict[str, frozenset | None] = {}
        for seq, oid, keys in log[start:]:
            if seq > upto:
                break
            if oid in merged:
                old = merged.pop(oid)
                merged[oid] = None if old is None or keys is None else old | keys
            else:
                merged[oid] = keys
        return list(merged.items())

    # -- seeded data ------------------------------------------------------------
    def seed(self, *, users: int = 0, devices: int = 0, managed: int = 0, seed: int = 0,
             guests: float = 0.02, disabled: float = 0.03, service_accounts: int = 2) -> None:
        rng = random.Random(f"{self.tid}:{seed}")
        domain = self.domains[0] if self.domains else f"{self.tid[:8]}.onmicrosoft.com"
        upns: list[str] = []
        for n in range(users):
            first, last = rng.choice(_FIRST), rng.choice(_LAST)
            local = f"{first}.{last}{n}".lower()
            guest = rng.random() < guests
            upn = f"{local}_partner.example#EXT#@{domain}" if guest else f"{local}@{domain}"
            upns.append(upn)
            self.add("users", {
                "id": _guid(rng), "displayName": f"{first} {last}", "givenName": first, "surname": last,
                "mail": f"{local}@partner.example" if guest else f"{local}@{domain}",
                "userPrincipalName": upn, "jobTitle": rng.choice(_TITLES) or None,
                "mobilePhone": f"+44 7700 9{n % 100000:05d}", "businessPhones": [f"+44 20 7946 {n % 10000:04d}"],
                "accountEnabled": rng.random() >= disabled, "userType": "Guest" if guest else "Member",
                "department": rng.choice(_DEPTS) or None, "officeLocation": rng.choice(("London", "Leeds", None)),
            })
        members = [u for u in self.objects["users"].values() if u["userType"] == "Member"]
        sku_ids = {part: str(uuid.UUID(int=rng.getrandbits(128), version=4)) for part, _, _ in _SKUS}
        for user in members:
            user["assignedLicenses"] = [{"skuId": sku_ids["SPB"], "disabledPlans": []}] if user["accountEnabled"] else []
            if rng.random() < 0.8:
                self.mfa_registered.add(user["id"])
        for name in ("svc-backup", "scanner", "noreply")[:service_accounts]:
            self.add("users", {
                "id": _guid(rng), "displayName": name, "givenName": None, "surname": None,
                "mail": f"{name}@{domain}", "userPrincipalName": f"{name}@{domain}", "jobTitle": None,
                "mobilePhone": None, "businessPhones": [], "accountEnabled": True, "userType": "Member",
                "department": None, "officeLocation": None, "assignedLicenses": [],
            })
        licensed = sum(1 for u in members if u.get("assignedLicenses"))
        self.skus = [{"skuId": sku_ids[part], "skuPartNumber": part, "capabilityStatus": "Enabled",
                      "appliesTo": "User", "consumedUnits": licensed if part == "SPB" else int(licensed * share),
                      "prepaidUnits": {"enabled": int(licensed * share) + extra, "suspended": 0, "warning": 0,
                                       "lockedOut": 0}}
                     for part, share, extra in _SKUS] if users else []
        self.seed_secure_scores(rng)
        device_ids: list[tuple[str, tuple]] = []
        for n in range(devices):
            os_name, ver, maker, model, prefix = rng.choice(_OS)
            device_id = _guid(rng)
            device_ids.append((device_id, (os_name, ver, maker, model, prefix, n)))
            self.add("devices", {
                "id": _guid(rng), "deviceId": device_id, "displayName": f"{prefix}-{n:06d}",
                "operatingSystem": os_name, "operatingSystemVersion": ver,
                "approximateLastSignInDateTime": f"2026-0{1 + n % 6}-{1 + n % 28:02d}T09:{n % 60:02d}:00Z",
                "accountEnabled": rng.random() >= disabled, "isManaged": n < managed,
                "isCompliant": (n % 7 != 0) if n < managed else None, "trustType": "AzureAd",
                "manufacturer": maker, "model": model,
            })
        for n in range(managed):
            if n < len(device_ids):
                aad_id, (os_name, ver, maker, model, prefix, idx) = device_ids[n]
                name = f"{prefix}-{idx:06d}"
            else:  # enrolled in Intune without an Entra registration (e.g. personal phones)
                aad_id, (os_name, ver, maker, model, prefix) = ZERO_GUID, rng.choice(_OS)
                name = f"{prefix}-INTUNE-{n:06d}"
            owner = upns[n % len(upns)] if upns else None
            self.add("managed", {
                "id": _guid(rng), "azureADDeviceId": aad_id, "deviceName": name,
                "serialNumber": f"SN{rng.getrandbits(40):010X}", "manufacturer": maker, "model": model,
                "operatingSystem": os_name, "osVersion": ver,
                "lastSyncDateTime": f"2026-06-{1 + n % 28:02d}T10:00:00Z",
                "enrolledDateTime": "2025-01-15T08:00:00Z", "userPrincipalName": owner,
                "emailAddress": owner, "complianceState": "noncompliant" if n % 7 == 0 else "compliant",
                "managedDeviceOwnerType": "company", "wiFiMacAddress": None, "imei": None,
            })

    def seed_secure_scores(self, rng: random.Random, *, days: int = 90, max_score: float = 80.0) -> None:
        """Daily Secure Score snapshots, newest first, drifting upwards from about half."""
        score = max_score * (0.45 + rng.random() * 0.1)
        snapshots = []
        for day in range(days, 0, -1):
            score = min(max_score, max(0.0, score + rng.uniform(-0.4, 0.7)))
            created = datetime.fromtimestamp(time.time() - day * 86400, UTC).strftime("%Y-%m-%dT00:00:00Z")
            snapshots.append({"id": f"{self.tid}_{created[:10]}", "azureTenantId": self.tid,
                              "createdDateTime": created, "currentScore": round(score, 2), "maxScore": max_score,
                              "activeUserCount": 0, "enabledServices": ["HasExchange", "HasSharePoint"]})
        self.secure_scores = list(reversed(snapshots))

    def set_secure_score(self, percent: float) -> None:
        """A new snapshot at `percent` of the maximum (newest first)."""
        latest = self.secure_scores[0] if self.secure_scores else {"maxScore": 80.0}
        snap = dict(latest, createdDateTime=graph_now(), currentScore=round(latest["maxScore"] * percent / 100, 2))
        self.secure_scores.insert(0, snap)

    def registrations(self, start: int = 0, stop: int | None = None) -> list[dict]:
        """/reports/authenticationMethods/userRegistrationDetails rows (disabled users
        excluded) of the users at positions [start, stop) of the directory's order."""
        return [{"id": u["id"], "userPrincipalName": u["userPrincipalName"], "userDisplayName": u["displayName"],
                 "userType": "guest" if u.get("userType") == "Guest" else "member",
                 "isMfaRegistered": u["id"] in self.mfa_registered, "isMfaCapable": u["id"] in self.mfa_registered,
                 "isAdmin": False, "methodsRegistered": ["microsoftAuthenticatorPush"] if u["id"] in self.mfa_registered
                 else []}
                for oid in self.order["users"][start:stop] if self.live("users", oid)
                for u in (self.objects["users"][oid],) if u.get("accountEnabled") is not False]

    def mutate(self, *, fraction: float = 0.01, seed: int = 1) -> dict[str, int]:
        """Change about `fraction` of users and devices: renames and job titles
        (partial updates), disables, soft and hard deletes, and new objects; and of
        Intune devices: check-ins (new compliance state or OS version) and retirements."""
        rng = random.Random(f"{self.tid}:mutate:{seed}:{self.seq}")
        done = Counter()
        for resource in ("users", "devices"):
            live = [oid for oid in self.order[resource] if self.live(resource, oid)]
            if not live:
                continue
            picks = rng.sample(live, max(1, int(len(live) * fraction)))
            for i, oid in enumerate(picks):
                action = i % 10
                if action < 6:
                    if resource == "users":
                        self.update(resource, oid, jobTitle=f"Title {rng.randrange(1000)}")
                    else:
                        self.update(resource, oid, operatingSystemVersion=f"10.0.{rng.randrange(30000)}")
                    done[f"{resource}_updated"] += 1
                elif action < 8:
                    self.update(resource, oid, accountEnabled=False)
                    done[f"{resource}_disabled"] += 1
                elif action == 8:
                    self.remove(resource, oid, "changed" if resource == "users" else "deleted")
                    done[f"{resource}_removed"] += 1
                else:
                    clone = dict(self.objects[resource][oid], id=_guid(rng))
                    if resource == "users":
                        local = f"new{self.seq}.{rng.randrange(10**6)}"
                        domain = self.domains[0]
                        clone.update(mail=f"{local}@{domain}", userPrincipalName=f"{local}@{domain}",
                                     userType="Member", accountEnabled=True)
                    else:
                        clone.update(deviceId=_guid(rng), displayName=f"NEW-{self.seq}")
                    self.add(resource, clone)
                    done[f"{resource}_added"] += 1
        managed = [oid for oid in self.order["managed"] if self.live("managed", oid)]
        for i, oid in enumerate(rng.sample(managed, max(1, int(len(managed) * fraction))) if managed else ()):
            if i % 10 == 9:
                self.remove("managed", oid)  # retired: gone from the listing
                done["managed_removed"] += 1
            elif i % 2:
                compliant = self.objects["managed"][oid]["complianceState"] == "compliant"
                self.check_in(oid, complianceState="noncompliant" if compliant else "compliant")
                done["managed_checked_in"] += 1
            else:
                self.check_in(oid, osVersion=f"10.0.{rng.randrange(30000)}")
                done["managed_checked_in"] += 1
        return dict(done)


class EmulatorState:
    """Everything the HTTP handlers read and tests or the control API change."""

    def __init__(self):
        self.lock = threading.RLock()
        self.apps: dict[str, App] = {}
        self.tenants: dict[str, EmuTenant] = {}
        self.tokens: dict[str, tuple[str, frozenset, float]] = {}  # token -> (tid, roles, expires at)
        self.token_serial = 0
        self.expires_in = 3599  # what the token endpoint tells msal
        self.token_lifetime: float | None = None  # server-side lifetime; None = expires_in
        self.faults: list[Fault] = []
        self.counts: Counter = Counter()
        self.latency = 0.0
        self.error_rate = 0.0
        self.rng = random.Random(0)
        self.delta_page_size = 999
        self.registration_page_size = 100  # userRegistrationDetails pages like other directory reports
        self.queries: deque[tuple[str, dict]] = deque(maxlen=1000)  # (route, query) of recent Graph calls
        # What "the admin" does on the consent page: (tid, "accept"|"decline") or None
        # to show a chooser page (demo).
        self.consent_answer: tuple[str, str] | None = None
        self.cipp: CippApi | None = None  # the CIPP-API routes (/api/...) answer 404 until set
        # Interactive sign-in (OIDC authorization code flow): who "signs in" on the
        # authorize page — a user's email, "cancel", or None to show an account chooser.
        self.sign_in_as: str | None = None
        self.auth_codes: dict[str, dict] = {}  # one-time code -> the sign-in it stands for
        self.user_tokens: dict[str, dict] = {}  # delegated access token -> id_token claims (userinfo)
        self.id_token_lifetime = 3600
        self._signing_key = None
        self.signing_kid = uuid.uuid4().hex[:16]

    # -- setup -------------------------------------------------------------------
    def add_app(self, client_id: str, secret: str, redirect_uris=()) -> App:
        with self.lock:
            app = self.apps[client_id] = App(client_id, secret, redirect_uris=list(redirect_uris))
            return app

    def add_cipp(self, *, tid: str | None = None, client_id: str | None = None,
                 secret: str = "cipp-secret") -> CippApi:  # noqa: S107 (the emulator's own fake app)
        with self.lock:
            self.cipp = CippApi(tid or str(uuid.uuid4()), client_id or str(uuid.uuid4()), secret)
            return self.cipp

    def add_tenant(self, display_name: str, domains: list[str], *, tid: str | None = None, **kwargs) -> EmuTenant:
        with self.lock:
            tid = tid or str(uuid.uuid4())
            tenant = self.tenants[tid] = EmuTenant(tid, display_name, domains, **kwargs)
            return tenant

    def fault(self, route: str, status, **kwargs) -> Fault:
        with self.lock:
            fault = Fault(route, status, **kwargs)
            self.faults.append(fault)
            return fault

    def reset_counts(self) -> None:
        with self.lock:
            self.counts.clear()
            self.queries.clear()

    # -- interactive sign-in (OIDC) -----------------------------------------------------
    @property
    def signing_key(self):
        """The RSA key id_tokens are signed with (published at .../discovery/v2.0/keys)."""
        with self.lock:
            if self._signing_key is None:
                from cryptography.hazmat.primitives.asymmetric import rsa

                self._signing_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            return self._signing_key

    def jwks(self) -> dict:
        import json

        from jwt.algorithms import RSAAlgorithm

        jwk = json.loads(RSAAlgorithm.to_jwk(self.signing_key.public_key()))
        return {"keys": [{**jwk, "kid": self.signing_kid, "use": "sig", "alg": "RS256"}]}

    def sign_in_accounts(self) -> list[tuple[EmuTenant, dict]]:
        """Who can sign in interactively: every enabled member with a mailbox, in every tenant."""
        with self.lock:
            return [(t, u) for t in self.tenants.values() for oid, u in t.objects["users"].items()
                    if t.live("users", oid) and u.get("mail") and u.get("accountEnabled", True)
                    and u.get("userType", "Member") == "Member"]

    def find_sign_in(self, email: str) -> tuple[EmuTenant, dict] | None:
        email = email.lower()
        return next(((t, u) for t, u in self.sign_in_accounts() if u["mail"].lower() == email), None)

    def id_token_claims(self, tenant: EmuTenant, user: dict, *, issuer: str, client_id: str, nonce: str | None) -> dict:
        """The claims Entra puts in a v2.0 id_token (openid profile email), with
        xms_edov (email domain owner verified) when the mail's domain is one of the
        tenant's verified domains."""
        now = int(time.time())
        domain = user["mail"].rsplit("@", 1)[-1].lower()
        claims = {
            "ver": "2.0", "iss": issuer, "aud": client_id, "iat": now, "nbf": now,
            "exp": now + self.id_token_lifetime, "tid": tenant.tid, "oid": user["id"],
            "sub": uuid.uuid5(uuid.NAMESPACE_URL, f"{client_id}:{user['id']}").hex,
            "name": user.get("displayName", ""), "given_name": user.get("givenName") or "",
            "family_name": user.get("surname") or "", "preferred_username": user.get("userPrincipalName", ""),
            "email": user["mail"], "xms_edov": domain in {d.lower() for d in tenant.domains},
        }
        if nonce:
            claims["nonce"] = nonce
        return claims

    # -- tokens ----------------------------------------------------------------------
    def issue_token(self, tid: str) -> str:
        with self.lock:
            self.token_serial += 1
            token = f"emu.{tid}.{self.token_serial}.{uuid.uuid4().hex}"
            lifetime = self.token_lifetime if self.token_lifetime is not None else self.expires_in
            self.tokens[token] = (tid, frozenset(self.tenants[tid].roles), time.monotonic() + lifetime)
            return token

    def check_token(self, token: str):
        with self.lock:
            entry = self.tokens.get(token)
            if entry is None or entry[2] < time.monotonic():
                return None
            return entry

    def revoke_tokens(self, tid: str | None = None) -> None:
        with self.lock:
            for token, (owner, _, _) in list(self.tokens.items()):
                if tid is None or owner == tid:
                    del self.tokens[token]

    def next_fault(self, route: str) -> Fault | None:
        """The fault to apply to this call of `route`, if any (consumes it)."""
        with self.lock:
            for fault in self.faults:
                if fault.route != route:
                    continue
                if fault.skip > 0:
                    fault.skip -= 1
                    return None
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
                return fault
            if self.error_rate and route not in ("discovery", "token", "adminconsent", "control") \
                    and self.rng.random() < self.error_rate:
                return Fault(route, self.rng.choice((429, 500, 502, 503, 504)), retry_after=1)
            return None
