"""Shared plumbing of the PSA emulators: ONE HTTPS server on loopback (TLS from a
trustme CA, like integrations/m365/emulator) serving every product under its own path
prefix — https://127.0.0.1:PORT/<kind>/... — plus a control API for tests, the bench
and `make run`.

A product module (emulator/connectwise.py, autotask.py, halopsa.py) subclasses
`Product`, lists its routes, and decorates the class with `@register_product`. The
common layer does: routing by prefix, fault injection (scripted faults, a 429 request
budget, latency), request counting, a locked in-memory `Store`, and deterministic
seed data (`fake_company`, `fake_contact`) so every product seeds the same companies.

Control API (JSON; no auth, loopback only):
  GET  /_emulator/                            {kind: base_url} of the products served
  GET  /_emulator/<kind>/inspect              counts of stored records + requests served
  POST /_emulator/<kind>/reset                empty store, no faults, counters zero
  POST /_emulator/<kind>/seed                 {"companies": N, "contacts_per_company": M, "seed": S}
  POST /_emulator/<kind>/mutate               {"fraction": 0.01, "seed": S} → {"companies": n, "contacts": m}
  POST /_emulator/<kind>/fault                {"status": 429, "times": 1, "path": "regex", "method": "GET",
                                               "retry_after": 1, "skip": 0}
  POST /_emulator/<kind>/budget               {"requests": N, "retry_after": 1}  (N then 429 until reset)
  POST /_emulator/<kind>/settings             {"latency": 0.0, "page_size_default": ...}
In-process tests use the same operations as methods: emulator.product("connectwise").fault(...).
"""

from __future__ import annotations

import importlib
import json
import random
import re
import ssl
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

PRODUCTS: dict[str, type[Product]] = {}
PRODUCT_MODULES = ("connectwise", "autotask", "halopsa")
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def register_product(cls: type[Product]) -> type[Product]:
    PRODUCTS[cls.kind] = cls
    return cls


def load_products() -> dict[str, type[Product]]:
    for name in PRODUCT_MODULES:
        try:
            importlib.import_module(f"{__package__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__package__}.{name}":
                raise
    return PRODUCTS


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(value: datetime) -> str:
    """2026-01-01T00:00:00Z (seconds precision, like the vendors' lastUpdated)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(value: str) -> datetime:
    value = value.strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# ------------------------------------------------------------------ requests/responses


@dataclass
class Request:
    method: str
    path: str  # after the product prefix, starting with "/"
    query: dict[str, list[str]]
    headers: Any  # email.message.Message (case-insensitive get)
    body: bytes
    base_url: str  # https://host:port/<kind> — for absolute next-page links
    params: dict[str, str] = field(default_factory=dict)  # named groups of the matched route

    def arg(self, name: str, default: str | None = None, *, ci: bool = False) -> str | None:
        """A query parameter; ci=True matches its name case-insensitively."""
        if ci:
            for key, values in self.query.items():
                if key.lower() == name.lower():
                    return values[-1]
            return default
        values = self.query.get(name)
        return values[-1] if values else default

    def json(self) -> Any:
        if not self.body:
            return None
        return json.loads(self.body)


@dataclass
class Response:
    status: int
    body: Any = None  # dict/list → JSON, str/bytes as is
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"


class BadJson(Exception):
    pass


# ------------------------------------------------------------------ faults


@dataclass
class Fault:
    status: int | str  # an HTTP status, or "stall" (sleep `seconds`, then serve)
    times: int = 1
    path: str = ""  # regex on the product path; "" = any
    method: str = ""  # "" = any
    retry_after: int | None = None
    skip: int = 0  # let this many matching requests through first
    seconds: float = 0.0

    def matches(self, req: Request) -> bool:
        return (not self.method or self.method.upper() == req.method) and (
            not self.path or re.search(self.path, req.path) is not None)


# ------------------------------------------------------------------ store


class Store:
    """Tables of dict records keyed by id; integer ids from one counter per table.
    Callers hold `product.lock` (the server does for each request)."""

    def __init__(self):
        self.tables: dict[str, dict[Any, dict]] = {}
        self._next: Counter = Counter()

    def table(self, name: str) -> dict[Any, dict]:
        return self.tables.setdefault(name, {})

    def next_id(self, name: str, start: int = 1) -> int:
        if not self._next[name]:
            self._next[name] = start - 1
        self._next[name] += 1
        return self._next[name]

    def insert(self, name: str, record: dict, *, key: str = "id", start: int = 1) -> dict:
        if record.get(key) is None:
            record[key] = self.next_id(name, start)
        self.table(name)[record[key]] = record
        return record

    def counts(self) -> dict[str, int]:
        return {name: len(rows) for name, rows in self.tables.items()}


# ------------------------------------------------------------------ deterministic seed data

_NAMES_A = ("Acme", "Blue", "Cedar", "Delta", "Evergreen", "Falcon", "Granite", "Harbor", "Iron", "Juniper",
            "Keystone", "Lakeside", "Maple", "Northwind", "Orchid", "Pioneer", "Quartz", "Riverside", "Summit",
            "Tidewater", "Union", "Valley", "Willow", "Yellowstone", "Zenith")
_NAMES_B = ("Dental", "Logistics", "Law", "Accounting", "Manufacturing", "Builders", "Clinic", "Partners",
            "Foods", "Engineering", "Realty", "Consulting", "Motors", "Design", "Insurance", "Labs")
_SUFFIX = ("Ltd", "Inc", "LLC", "GmbH", "Group", "Co")
_FIRST = ("Alex", "Sam", "Jordan", "Taylor", "Morgan", "Casey", "Riley", "Jamie", "Avery", "Quinn", "Robin",
          "Drew", "Chris", "Pat", "Lee", "Dana", "Kim", "Noel", "Jesse", "Sky")
_LAST = ("Smith", "Jones", "Brown", "Garcia", "Miller", "Davis", "Martin", "Lee", "Walker", "Hall", "Young",
         "King", "Wright", "Lopez", "Hill", "Scott", "Green", "Adams", "Baker", "Nelson")
_CITIES = (("Springfield", "IL", "62701", "US"), ("Portland", "OR", "97201", "US"), ("Austin", "TX", "73301", "US"),
           ("Leeds", "", "LS1 1AA", "GB"), ("Denver", "CO", "80201", "US"))


def fake_company(n: int, rng: random.Random) -> dict:
    """Neutral fields of seeded company n (unique name and domain per n)."""
    a, b = _NAMES_A[n % len(_NAMES_A)], _NAMES_B[(n // len(_NAMES_A)) % len(_NAMES_B)]
    name = f"{a} {b} {n}" if n >= len(_NAMES_A) * len(_NAMES_B) else f"{a} {b}"
    name = f"{name} {_SUFFIX[n % len(_SUFFIX)]}"
    slug = re.sub(r"[^a-z0-9]+", "", name.lower().rsplit(" ", 1)[0])
    city, region, postcode, country = _CITIES[n % len(_CITIES)]
    return {"name": name, "domain": f"{slug}.example", "website": f"https://www.{slug}.example",
            "phone": f"555-{rng.randint(100, 999)}-{n % 10000:04d}", "street": f"{rng.randint(1, 999)} Main Street",
            "city": city, "region": region, "postcode": postcode, "country": country}


def fake_contact(company_n: int, m: int, domain: str, rng: random.Random) -> dict:
    first, last = _FIRST[(company_n + m) % len(_FIRST)], _LAST[(company_n * 7 + m) % len(_LAST)]
    return {"first_name": first, "last_name": last, "email": f"{first.lower()}.{last.lower()}{m}@{domain}",
            "phone": f"555-{rng.randint(100, 999)}-{m % 10000:04d}", "mobile": "", "title": rng.choice(
                ("Office Manager", "Owner", "Accountant", "IT Contact", "Receptionist", ""))}


def seed_times(count: int, rng: random.Random) -> list[datetime]:
    """Last-updated times spread over the weeks before now (deterministic order)."""
    now = utcnow().replace(microsecond=0)
    return [now - timedelta(days=30) + timedelta(seconds=rng.randint(0, 20 * 86400)) for _ in range(count)]


# ------------------------------------------------------------------ product


class Product:
    """One emulated PSA. Subclasses set `kind`, `routes` [(METHOD, regex on the path
    after the prefix, handler method name)], and implement the seed/mutate/inspect/
    fault_response hooks. Handlers take a Request and return a Response; they run
    under `self.lock`."""

    kind: ClassVar[str] = ""
    label: ClassVar[str] = ""
    routes: ClassVar[list[tuple[str, str, str]]] = []

    def __init__(self):
        self.lock = threading.RLock()
        self.latency = 0.0
        self._compiled = [(m, re.compile(p), h) for m, p, h in self.routes]
        self.reset()

    # -- state ---------------------------------------------------------------------------
    def reset(self) -> None:
        with self.lock:
            self.store = Store()
            self.faults: list[Fault] = []
            self.budget: int | None = None
            self.budget_retry_after = 1
            self.counts: Counter = Counter()  # "GET /path-template" → n, and "total"
            self.on_reset()

    def on_reset(self) -> None:
        """Product-specific state (valid credentials, picklists …)."""

    def credentials(self) -> dict[str, str]:
        """Credentials the emulator accepts, keyed like the connector's credential_fields."""
        raise NotImplementedError

    def seed(self, *, companies: int, contacts_per_company: int, seed: int = 1) -> None:
        raise NotImplementedError

    def mutate(self, *, fraction: float = 0.01, seed: int = 1) -> dict[str, int]:
        """Change `fraction` of companies and contacts (name/phone/title), bumping their
        last-updated time: the bench's incremental sync."""
        raise NotImplementedError

    def inspect(self) -> dict:
        with self.lock:
            return {"records": self.store.counts(), "requests": dict(self.counts)}

    def fault_response(self, status: int, retry_after: int | None) -> Response:
        """This vendor's body for an injected status (401/403/404/429/5xx)."""
        raise NotImplementedError

    # -- test hooks (added to the contract by helper-psa): the framework's product-neutral
    # tests (tests/test_framework.py, parametrised over every registered product) act as
    # a person working in the PSA through these. Neutral field names, string ids. Each
    # edit bumps the record's last-updated time like the product would.
    def edit_company(self, external_id: str, **fields) -> None:
        """Change neutral fields (name, phone, city …) of a stored company."""
        raise NotImplementedError

    def company_fields(self, external_id: str) -> dict:
        """{"name", "phone", "active", …} of a stored company, neutral names."""
        raise NotImplementedError

    def edit_contact(self, external_id: str, **fields) -> None:
        raise NotImplementedError

    def contact_fields(self, external_id: str) -> dict:
        """Neutral fields of a stored contact (first_name, last_name, email, title, company_external_id)."""
        raise NotImplementedError

    def set_ticket_status(self, external_id: str, status: str) -> None:
        """Move a ticket to a neutral status (new/open/waiting/resolved/closed)."""
        raise NotImplementedError

    def add_company(self, **fields) -> str:
        """Store one company from neutral fields (name, website, phone, street, city,
        region, postcode, country); its id. `make run`'s demo data uses this."""
        raise NotImplementedError

    def add_contact(self, company_external_id: str, **fields) -> str:
        """Store one contact (first_name, last_name, email, phone, title); its id."""
        raise NotImplementedError

    def ids(self, table: str) -> list[str]:
        """Stored ids of "companies" | "contacts" | "tickets" (string ids)."""
        raise NotImplementedError

    def advance_clock(self, seconds: int) -> None:
        """Move the product's "now" forward (last-updated ordering without sleeping)."""
        self.clock_offset = getattr(self, "clock_offset", 0) + seconds

    # -- faults ----------------------------------------------------------------------------
    def fault(self, status: int | str, *, times: int = 1, path: str = "", method: str = "",
              retry_after: int | None = None, skip: int = 0, seconds: float = 0.0) -> None:
        with self.lock:
            self.faults.append(Fault(status, times, path, method, retry_after, skip, seconds))

    def set_budget(self, requests: int | None, retry_after: int = 1) -> None:
        """Allow `requests` more requests, then answer 429 (Retry-After) to every one."""
        with self.lock:
            self.budget, self.budget_retry_after = requests, retry_after

    def _take_fault(self, req: Request) -> Fault | None:
        for fault in self.faults:
            if fault.times > 0 and fault.matches(req):
                if fault.skip > 0:
                    fault.skip -= 1
                    return None
                fault.times -= 1
                return fault
        return None

    # -- dispatch ----------------------------------------------------------------------------
    def dispatch(self, req: Request) -> Response:
        if self.latency:
            time.sleep(self.latency)
        with self.lock:
            self.counts["total"] += 1
            if self.budget is not None:
                if self.budget <= 0:
                    return self.fault_response(429, self.budget_retry_after)
                self.budget -= 1
            fault = self._take_fault(req)
        if fault is not None:
            if fault.status == "stall":
                time.sleep(fault.seconds)
            else:
                return self.fault_response(int(fault.status), fault.retry_after)
        for method, pattern, handler in self._compiled:
            match = pattern.match(req.path)
            if match and method == req.method:
                req.params = match.groupdict()
                with self.lock:
                    self.counts[f"{method} {pattern.pattern}"] += 1
                    try:
                        return getattr(self, handler)(req)
                    except (BadJson, json.JSONDecodeError, UnicodeDecodeError):
                        return self.fault_response(400, None)
        return self.fault_response(404, None)


# ------------------------------------------------------------------ server


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes: no 40 ms delayed-ACK stall
    server: EmulatorServer

    def log_message(self, *args):
        pass

    def _send(self, response: Response) -> None:
        body = response.body
        if isinstance(body, (dict, list)):
            raw = json.dumps(body, separators=(",", ":"), default=str).encode()
        elif isinstance(body, str):
            raw = body.encode()
        else:
            raw = body or b""
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(raw)))
        for k, v in response.headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(raw)

    def _handle(self, method: str) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        segs = [s for s in parts.path.split("/") if s]
        host = f"https://{self.headers.get('Host') or self.server.host_port}"
        if segs[:1] == ["_emulator"]:
            return self._send(self.server.emulator.control(method, segs[1:], body))
        product = self.server.emulator.products.get(segs[0]) if segs else None
        if product is None:
            return self._send(Response(404, {"error": "no such product"}))
        req = Request(method, "/" + "/".join(segs[1:]), parse_qs(parts.query, keep_blank_values=True),
                      self.headers, body, f"{host}/{segs[0]}")
        self._send(product.dispatch(req))

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def do_PATCH(self):
        self._handle("PATCH")

    def do_PUT(self):
        self._handle("PUT")

    def do_DELETE(self):
        self._handle("DELETE")


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, emulator: PsaEmulator, host: str, port: int, ssl_context: ssl.SSLContext):
        super().__init__((host, port), Handler)
        self.emulator = emulator
        self.socket = ssl_context.wrap_socket(self.socket, server_side=True)
        self.host_port = f"{host}:{self.server_address[1]}"


class PsaEmulator:
    """A running emulator of every registered product. `base_url(kind)`, `ca_path`,
    `product(kind)`; start()/stop() or a context manager."""

    def __init__(self, *, kinds: list[str] | None = None, host: str = "127.0.0.1", port: int = 0,
                 ca_dir: str | Path | None = None):
        import trustme

        load_products()
        wanted = kinds or list(PRODUCTS)
        self.products: dict[str, Product] = {kind: PRODUCTS[kind]() for kind in wanted if kind in PRODUCTS}
        ca = trustme.CA()
        cert = ca.issue_cert(host, "localhost")
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(ctx)
        self.ca_dir = Path(ca_dir or tempfile.mkdtemp(prefix="psa-emulator-"))
        self.ca_dir.mkdir(parents=True, exist_ok=True)
        self.ca_path = self.ca_dir / "psa-emulator-ca.pem"
        ca.cert_pem.write_to_path(str(self.ca_path))
        self.server = EmulatorServer(self, host, port, ctx)
        self.url = f"https://{self.server.host_port}"
        self._thread: threading.Thread | None = None

    def base_url(self, kind: str) -> str:
        return f"{self.url}/{kind}"

    def product(self, kind: str) -> Product:
        return self.products[kind]

    def reset(self) -> None:
        for product in self.products.values():
            product.reset()

    def control(self, method: str, segs: list[str], body: bytes) -> Response:
        data = json.loads(body or b"{}") if body else {}
        if not segs:
            return Response(200, {kind: self.base_url(kind) for kind in self.products})
        product = self.products.get(segs[0])
        if product is None:
            return Response(404, {"error": "no such product"})
        action = segs[1] if len(segs) > 1 else "inspect"
        if action == "inspect":
            return Response(200, product.inspect())
        if method != "POST":
            return Response(405, {"error": "POST"})
        if action == "reset":
            product.reset()
        elif action == "seed":
            product.seed(companies=int(data.get("companies", 10)),
                         contacts_per_company=int(data.get("contacts_per_company", 3)), seed=int(data.get("seed", 1)))
        elif action == "mutate":
            return Response(200, product.mutate(fraction=float(data.get("fraction", 0.01)),
                                                seed=int(data.get("seed", 1))))
        elif action == "fault":
            product.fault(data.pop("status"), **data)
        elif action == "budget":
            product.set_budget(data.get("requests"), int(data.get("retry_after", 1)))
        elif action == "settings":
            for key, value in data.items():
                if key == "latency" or hasattr(product, key):
                    setattr(product, key, value)
        else:
            return Response(404, {"error": "no such control route"})
        return Response(200, product.inspect())

    def start(self) -> PsaEmulator:
        self._thread = threading.Thread(target=self.server.serve_forever, name="psa-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> PsaEmulator:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


# ------------------------------------------------------------------ demo data (`make run`)

# Companies the demo MSP's PSA "already has": some match demo clients (by domain, by
# name with a different legal suffix), some exist only in the PSA.
DEMO_COMPANIES = (
    {"name": "Contoso Ltd", "website": "https://www.contoso.example", "city": "London", "country": "GB",
     "phone": "020 7946 0001"},
    {"name": "Fabrikam, Inc.", "website": "", "city": "Boston", "region": "MA", "country": "US",
     "phone": "617-555-0100"},
    {"name": "Northwind Traders Limited", "website": "https://northwindtraders.example", "city": "Leeds",
     "country": "GB"},
    {"name": "Pennant Dental Group", "website": "https://pennantdental.example", "city": "Swansea", "country": "GB"},
    {"name": "Tailspin Toys", "website": "https://tailspintoys.example", "city": "Manchester", "country": "GB",
     "phone": "0161 496 0002"},
    {"name": "Wide World Importers", "website": "https://wideworldimporters.example", "city": "Seattle",
     "region": "WA", "country": "US", "phone": "206-555-0142"},
    {"name": "Adventure Works Cycles", "website": "https://adventure-works.example", "city": "Bothell",
     "region": "WA", "country": "US"},
)


def seed_demo(product: Product) -> None:
    rng = random.Random(16)
    for n, company in enumerate(DEMO_COMPANIES):
        ext = product.add_company(**company)
        domain = company["website"].split("//")[-1].removeprefix("www.") or "example.com"
        for m in range(3):
            product.add_contact(ext, **fake_contact(n, m, domain, rng))
