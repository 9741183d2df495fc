"""Build the demo data through the services, so the demo has an audit trail and
obeys every rule the product does. Idempotent: each MSP, user, definition and client
is created only when missing (a client counts as present when its name or its
primary domain exists), and each client with everything under it is created in one
transaction, so a re-run never duplicates and an interrupted run resumes cleanly.

Demo contacts are not emailed: portal invites are muted while seeding.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Msp, TechGroup, TechGroupMember, User
from accounts.roles import Role
from assets.models import Asset
from billing.models import Contract, ContractTemplate, Invoice
from clients.business_hours import business_hours_set
from clients.lifecycle import client_archive
from clients.models import Client, ClientDomain, CustomField
from clients.onboarding import client_onboard
from contacts.lifecycle import contact_delete
from contacts.models import Contact
from contacts.services import contact_create
from contacts.signals import portal_access_changed
from opsmerge.demo import DEMO_MSPS, DEMO_PASSWORD, DEMO_STAFF, PLATFORM_ADMIN_EMAIL
from opsmerge.tenancy import msp_scope
from sites.services import site_create
from tickets.models import Ticket
from tickets.services import ticket_comment_add, ticket_create


@dataclass(frozen=True)
class DemoClient:
    name: str
    domains: tuple[str, ...]
    industry: str
    city: str
    country: str = "GB"
    state: str = ""
    time_zone: str = "Europe/London"
    tags: tuple[str, ...] = ()
    sites: tuple[str, ...] = ()  # besides the HQ
    status: str = Client.Status.ACTIVE
    priority_floor: str = ""
    archived_reason: str = ""  # set: the client ends up archived
    extras: dict = field(default_factory=dict)


C = DemoClient
BRIGHTWAVE_CLIENTS = (
    # The Microsoft 365 emulator's demo tenants verify these three domains.
    C("Contoso Ltd", ("contoso.example", "contoso.co.example"), "Consulting", "London", state="GB-LND",
      tags=("tier:gold", "m365-rollout"), sites=("Manchester", "Home workers")),
    C("Fabrikam Inc", ("fabrikam.example",), "Manufacturing", "Boston", country="US", state="US-MA",
      time_zone="America/New_York", tags=("tier:silver",), sites=("Warehouse",)),
    C("Northwind Traders", ("northwindtraders.example",), "Wholesale", "Leeds", state="GB-LDS",
      tags=("tier:bronze",), sites=("Depot",)),
    # Near-duplicates, as a CIPP/M365 sync leaves them: merge and duplicate detection demo.
    C("Acme Ltd", ("acme.example",), "Engineering", "Bristol", state="GB-BST", tags=("tier:silver",)),
    C("ACME Limited", ("acmelimited.example",), "Engineering", "Bristol", state="GB-BST"),
    C("acme-ltd.com", ("acme-ltd.com",), "", "", status=Client.Status.LEAD),
    C("Harper & Cole Solicitors LLP", ("harpercole.example",), "Legal", "London", state="GB-LND",
      tags=("tier:gold", "vertical:legal"), sites=("Chancery Lane",), priority_floor=Client.Priority.HIGH),
    C("Bramble & Finch Legal", ("bramblefinch.example",), "Legal", "Edinburgh", state="GB-EDH",
      tags=("vertical:legal", "tier:silver")),
    C("Whitmore Family Law", ("whitmorelaw.example",), "Legal", "Cardiff", state="GB-CRF", tags=("vertical:legal",)),
    C("Greenfield Academy Trust", ("greenfieldacademy.example",), "Education", "Sheffield", state="GB-SHF",
      tags=("vertical:education", "tier:gold"), sites=("North Campus", "South Campus")),
    C("St Aidan's Primary School", ("staidans.example",), "Education", "Durham", state="GB-DUR",
      tags=("vertical:education",)),
    C("Lakeside College", ("lakesidecollege.example",), "Education", "Bowness", state="GB-CMA",
      tags=("vertical:education", "migration-2026")),
    C("Pennant Dental Group", ("pennantdental.example",), "Healthcare", "Swansea", state="GB-SWA",
      tags=("vertical:health", "tier:silver"), sites=("Mumbles Surgery",)),
    C("Riverside Veterinary Clinic", ("riversidevets.example",), "Healthcare", "Norwich", state="GB-NFK",
      tags=("vertical:health",)),
    C("Mercer Accountants", ("merceraccountants.example",), "Accounting", "Reading", state="GB-RDG",
      tags=("tier:gold", "vertical:finance")),
    C("Thornbury Wealth Management", ("thornburywealth.example",), "Financial services", "Guildford",
      state="GB-SRY", tags=("tier:gold", "vertical:finance"), priority_floor=Client.Priority.HIGH),
    C("Oakridge Architects", ("oakridgearch.example",), "Architecture", "Bath", state="GB-BAS",
      tags=("tier:silver",), sites=("Studio",)),
    C("Keystone Surveyors", ("keystonesurveyors.example",), "Construction", "Milton Keynes", state="GB-MIK"),
    C("Hartley Construction", ("hartleyconstruction.example",), "Construction", "Birmingham", state="GB-BIR",
      tags=("tier:bronze",), sites=("Yard", "Site office")),
    C("Blue Harbour Logistics", ("blueharbour.example",), "Logistics", "Southampton", state="GB-STH",
      tags=("tier:silver",), sites=("Warehouse",)),
    C("Swift Couriers", ("swiftcouriers.example",), "Logistics", "Coventry", state="GB-COV"),
    C("Meadowbank Care Homes", ("meadowbankcare.example",), "Care", "York", state="GB-YOR",
      tags=("vertical:health", "tier:silver"), sites=("Meadowbank House", "Willow Court")),
    C("Saffron Kitchen Group", ("saffronkitchen.example",), "Hospitality", "Leicester", state="GB-LCE"),
    C("The Old Mill Hotel", ("oldmillhotel.example",), "Hospitality", "Keswick", state="GB-CMA"),
    C("Kingfisher Retail", ("kingfisherretail.example",), "Retail", "Nottingham", state="GB-NGM",
      tags=("tier:bronze",), sites=("Shop 2",)),
    C("Bloom & Wild Florists", ("bloomwildflorists.example",), "Retail", "Brighton", state="GB-BNH"),
    C("Crescent Media", ("crescentmedia.example",), "Media", "Manchester", state="GB-MAN",
      tags=("m365-rollout",)),
    C("Pixel Forge Studios", ("pixelforge.example",), "Media", "Dundee", state="GB-DND"),
    C("Atlas Engineering GmbH", ("atlas-engineering.example",), "Engineering", "Munich", country="DE", state="DE-BY",
      time_zone="Europe/Berlin", tags=("tier:silver",)),
    C("Lough Erne Distillery", ("lougherne.example",), "Manufacturing", "Enniskillen", state="GB-FMO"),
    C("Shannon Software Ltd", ("shannonsoftware.example",), "Software", "Limerick", country="IE", state="IE-LK",
      time_zone="Europe/Dublin", tags=("migration-2026",)),
    C("Harbourside Physio", ("harboursidephysio.example",), "Healthcare", "Plymouth", state="GB-PLY",
      tags=("vertical:health",)),
    C("Redwood Property Management", ("redwoodproperty.example",), "Property", "Oxford", state="GB-OXF",
      tags=("tier:bronze",)),
    C("Summit Recruitment", ("summitrecruitment.example",), "Recruitment", "Newcastle upon Tyne", state="GB-NET"),
    C("Castlegate Charity Trust", ("castlegatetrust.example",), "Charity", "Lincoln", state="GB-LIN",
      tags=("tier:bronze",)),
    C("Pacific Rim Imports", ("pacificrim.example",), "Wholesale", "Sydney", country="AU", state="AU-NSW",
      time_zone="Australia/Sydney"),
    C("Brightside Marketing", ("brightsidemarketing.example",), "Marketing", "Cambridge", state="GB-CAM",
      status=Client.Status.LEAD),
    C("Northgate Pharmacy", ("northgatepharmacy.example",), "Healthcare", "Chester", state="GB-CHW",
      tags=("vertical:health",)),
    C("Ironbridge Museum Trust", ("ironbridgetrust.example",), "Charity", "Telford", state="GB-TFW"),
    C("Oldfield Printing Ltd", ("oldfieldprinting.example",), "Printing", "Stoke-on-Trent", state="GB-STE",
      archived_reason="Ceased trading in 2025; records kept for seven years."),
)
HARBOUR_CLIENTS = (
    # Same name and domain as a Brightwave client: domains are unique per MSP, not globally.
    C("Contoso Ltd", ("contoso.example",), "Consulting", "Glasgow", state="GB-GLG", tags=("tier:gold",)),
    C("Firth Energy", ("firthenergy.example",), "Energy", "Aberdeen", state="GB-ABE", tags=("tier:silver",),
      sites=("Dyce",)),
    C("Glenmorie Estates", ("glenmorie.example",), "Property", "Inverness", state="GB-HLD"),
    C("Clyde Marine Services", ("clydemarine.example",), "Marine", "Greenock", state="GB-IVC",
      tags=("tier:bronze",)),
    C("Tayside Dental", ("taysidedental.example",), "Healthcare", "Perth", state="GB-PKN", tags=("vertical:health",)),
    C("Forth Valley Law", ("forthvalleylaw.example",), "Legal", "Stirling", state="GB-STG", tags=("vertical:legal",)),
    C("Speyside Coffee Roasters", ("speysidecoffee.example",), "Food", "Elgin", state="GB-MRY"),
    C("Orkney Ferries Trust", ("orkneyferries.example",), "Charity", "Kirkwall", state="GB-ORK",
      archived_reason="Moved to an in-house IT team."),
)
CLIENTS_BY_MSP = {"brightwave": BRIGHTWAVE_CLIENTS, "harbour": HARBOUR_CLIENTS}

FIRST = ["Amelia", "Oliver", "Isla", "George", "Ava", "Noah", "Freya", "Arthur", "Priya", "Mohammed", "Grace",
         "Leo", "Sofia", "Harry", "Chloe", "Jacob", "Niamh", "Ethan", "Zara", "Callum", "Maya", "Rhys", "Aisha",
         "Finn", "Lucia", "Tom", "Hannah", "Kwame", "Elena", "Dylan"]
LAST = ["Smith", "Patel", "Jones", "Williams", "Brown", "Khan", "Taylor", "Davies", "Evans", "Wilson", "Thomas",
        "Roberts", "Campbell", "Murphy", "O'Neill", "Walker", "Wright", "Robinson", "Thompson", "Hughes", "Clarke",
        "Nowak", "Ahmed", "Kelly", "Edwards", "Fraser", "Okafor", "Morgan", "Bennett", "Chen"]
JOB_TITLES = ["Office Manager", "Managing Director", "Finance Director", "Operations Manager", "IT Lead",
              "Practice Manager", "Receptionist", "Head of HR", "Partner", "Bookkeeper", "Site Manager"]
DEPARTMENTS = ["Operations", "Finance", "Management", "IT", "Front desk", "HR", "Sales"]
TICKETS = [
    ("Printer on the first floor is offline", "The HP printer shows 'offline' for everyone since this morning."),
    ("Cannot sign in to Outlook", "Outlook keeps asking for my password and then says it is wrong."),
    ("New starter laptop for Monday", "Please set up a laptop, email and Teams for our new starter."),
    ("VPN disconnects every hour", "When working from home the VPN drops roughly every hour."),
    ("Shared mailbox access for accounts@", "Please give the finance team access to the accounts@ mailbox."),
    ("Teams camera not detected", "My webcam is not detected in Teams meetings but works in the Camera app."),
    ("Suspicious email received", "I received an invoice email from a supplier that looks odd. Please check."),
    ("File server is very slow", "Opening files on the S: drive takes minutes since yesterday."),
    ("Request: Adobe Acrobat licence", "Could we get an Acrobat Pro licence for the bid team?"),
    ("Wi-Fi in the meeting room drops", "The guest Wi-Fi in meeting room 2 keeps disconnecting."),
]
REPLIES = [
    "Thanks, we are looking into this now.",
    "Could you send a screenshot of the error, please?",
    "We have applied a fix remotely; please let us know if it happens again.",
    "Scheduled an engineer visit for tomorrow morning.",
]
ASSET_MODELS = [
    (Asset.Kind.LAPTOP, "Dell", "Latitude 5440", "Windows 11 Pro", "23H2"),
    (Asset.Kind.LAPTOP, "Lenovo", "ThinkPad T14", "Windows 11 Pro", "23H2"),
    (Asset.Kind.LAPTOP, "Apple", "MacBook Air M2", "macOS", "15.1"),
    (Asset.Kind.WORKSTATION, "HP", "EliteDesk 800 G9", "Windows 11 Pro", "22H2"),
    (Asset.Kind.SERVER, "Dell", "PowerEdge T150", "Windows Server 2022", "21H2"),
    (Asset.Kind.MOBILE, "Apple", "iPhone 15", "iOS", "18.1"),
    (Asset.Kind.NETWORK, "Ubiquiti", "UniFi Dream Machine Pro", "UniFi OS", "4.0"),
    (Asset.Kind.PRINTER, "HP", "LaserJet Pro M404", "", ""),
]
CLIENT_FIELDS = [
    # (key, label, type, choices)
    ("support_tier", "Support tier", CustomField.Type.CHOICE, ["Essentials", "Professional", "Enterprise"]),
    ("seats", "Licensed seats", CustomField.Type.NUMBER, []),
    ("onboarded_on", "Onboarded on", CustomField.Type.DATE, []),
    ("onsite_server", "Has an on-site server", CustomField.Type.BOOLEAN, []),
    ("line_of_business_app", "Line-of-business application", CustomField.Type.TEXT, []),
]
CONTACT_FIELDS = [
    ("preferred_contact", "Preferred contact method", CustomField.Type.CHOICE, ["Email", "Phone", "Teams"]),
    ("employee_id", "Employee id", CustomField.Type.TEXT, []),
]
TECH_GROUPS = ["Service desk", "Projects", "Network & security"]
CONTRACT_TEMPLATES = [("Managed Gold", Decimal("45.00")), ("Managed Silver", Decimal("32.00")),
                      ("Break-fix", Decimal("0.00"))]
UK_HOLIDAYS = [(datetime.date(2026, 12, 25), "Christmas Day"), (datetime.date(2026, 12, 28), "Boxing Day (substitute)"),
               (datetime.date(2027, 1, 1), "New Year's Day")]


@contextmanager
def portal_invites_muted():
    """Seeding must not email demo contacts: detach the portal's receivers."""
    saved = portal_access_changed.receivers
    portal_access_changed.receivers = []
    portal_access_changed.sender_receivers_cache.clear()
    try:
        yield
    finally:
        portal_access_changed.receivers = saved
        portal_access_changed.sender_receivers_cache.clear()


class DemoSeeder:
    def __init__(self, *, log: Callable[[str], None] = print):
        self.log = log
        self.created: dict[str, int] = {}

    def count(self, what: str, n: int = 1) -> None:
        if n:
            self.created[what] = self.created.get(what, 0) + n

    # -- MSP level -------------------------------------------------------------------------
    def seed(self) -> dict[str, int]:
        with portal_invites_muted():
            self._platform_admin()
            for slug, name, domain in DEMO_MSPS:
                msp, made = Msp.objects.get_or_create(slug=slug, defaults={
                    "name": name, "support_email": f"support@{domain}",
                    "require_mfa": False})  # demo sign-ins skip MFA enrolment (README)
                self.count("msps", made)
                staff = self._staff(msp, domain)
                with msp_scope(msp):
                    self._definitions(msp, staff)
                    for index, spec in enumerate(CLIENTS_BY_MSP[slug]):
                        self._client(msp, staff, index, spec)
                    self._unassigned_contacts(msp, domain, staff)
        return self.created

    def _platform_admin(self) -> None:
        if not User.objects.filter(email=PLATFORM_ADMIN_EMAIL).exists():
            User.objects.create_superuser(PLATFORM_ADMIN_EMAIL, DEMO_PASSWORD, full_name="Platform Admin")
            self.count("users")

    def _staff(self, msp: Msp, domain: str) -> dict[str, User]:
        staff = {}
        for role, mailbox, full_name in DEMO_STAFF:
            user = User.objects.filter(email=f"{mailbox}@{domain}").first()
            if user is None:
                user = User.objects.create_user(f"{mailbox}@{domain}", DEMO_PASSWORD, full_name=full_name,
                                                msp=msp, role=role)
                self.count("users")
            staff[role] = user
        return staff

    def _definitions(self, msp: Msp, staff: dict[str, User]) -> None:
        for applies_to, fields in ((CustomField.AppliesTo.CLIENT, CLIENT_FIELDS),
                                   (CustomField.AppliesTo.CONTACT, CONTACT_FIELDS)):
            for position, (key, label, kind, choices) in enumerate(fields):
                _, made = CustomField.objects.get_or_create(
                    msp=msp, applies_to=applies_to, key=key,
                    defaults={"label": label, "field_type": kind, "choices": choices, "position": position})
                self.count("custom fields", made)
        for name in TECH_GROUPS:
            group, made = TechGroup.objects.get_or_create(msp=msp, name=name)
            self.count("tech groups", made)
            for role in (Role.TECHNICIAN, Role.ADMIN):
                TechGroupMember.objects.get_or_create(msp=msp, group=group, user=staff[role])
        for name, price in CONTRACT_TEMPLATES:
            _, made = ContractTemplate.objects.get_or_create(msp=msp, name=name, defaults={"monthly_price": price})
            self.count("contract templates", made)

    # -- one client and everything under it --------------------------------------------------
    def _client(self, msp: Msp, staff: dict[str, User], index: int, spec: DemoClient) -> None:
        exists = Client.objects.filter(msp=msp).filter(
            Q(name=spec.name) | Q(pk__in=ClientDomain.objects.filter(msp=msp, domain=spec.domains[0])
                                  .values("client_id"))).exists()
        if exists:
            return
        rng = random.Random(f"{msp.slug}:{spec.name}")
        admin, tech = staff[Role.ADMIN], staff[Role.TECHNICIAN]
        with transaction.atomic():
            client = self._onboard(msp, admin, tech, index, spec, rng)
            sites = [client.sites.get(is_hq=True)]
            for site_name in spec.sites:
                sites.append(site_create(msp=msp, client=client, actor=admin, name=site_name, country=spec.country,
                                         location="" if site_name != "Home workers" else "Remote staff"))
            if "Warehouse" in spec.sites:
                warehouse = next(s for s in sites if s.name == "Warehouse")
                business_hours_set(msp=msp, client=client, site=warehouse,
                                   intervals=[(d, datetime.time(6), datetime.time(22)) for d in range(6)])
            contacts = self._contacts(msp, admin, client, spec, rng, index)
            self._assets(msp, client, sites, contacts, rng, index)
            if spec.status != Client.Status.LEAD:
                self._tickets(msp, client, contacts, staff, rng)
                self._billing(msp, client, index, spec, rng)
            if spec.archived_reason:
                client_archive(msp=msp, client=client, actor=admin, reason=spec.archived_reason)
        self.count("clients")

    def _onboard(self, msp, admin, tech, index, spec: DemoClient, rng: random.Random) -> Client:
        first, last = rng.choice(FIRST), rng.choice(LAST)
        domain = spec.domains[0]
        lunch = index % 4 == 0  # some clients close for lunch
        hours = ([(d, datetime.time(9), datetime.time(12, 30)) for d in range(5)]
                 + [(d, datetime.time(13, 30), datetime.time(17, 30)) for d in range(5)]) if lunch else \
            [(d, datetime.time(8, 30), datetime.time(17, 30)) for d in range(5)]
        client_fields = {
            "name": spec.name, "status": spec.status, "industry": spec.industry, "time_zone": spec.time_zone,
            "priority_floor": spec.priority_floor, "country": spec.country, "state": spec.state, "city": spec.city,
            "street": f"{rng.randint(1, 180)} {rng.choice(['High Street', 'Station Road', 'Mill Lane', 'Church Street'])}",
            "postal_code": "" if spec.country != "GB" else f"{rng.choice(['AB', 'CD', 'EF'])}{rng.randint(1, 20)} "
                                                           f"{rng.randint(1, 9)}{rng.choice('ABDEFG')}{rng.choice('HJLNPQ')}",
            "phone_country_code": {"GB": "44", "US": "1", "DE": "49", "IE": "353", "AU": "61"}.get(spec.country, ""),
            "phone_number": f"{rng.randint(1000000000, 1999999999)}",
            "website": f"https://www.{domain}/" if "." in domain else "",
            "account_manager": tech if index % 2 else admin,
            "psa_id": f"CW-{10400 + index}" if index % 3 == 0 else "",
            "notes": "Key holder list is in the documents tab." if index % 5 == 0 else "",
            "domains": list(spec.domains),
            "tags": list(spec.tags),
            "tech_groups": list(TechGroup.objects.filter(msp=msp, name__in=TECH_GROUPS[: 1 + index % 3])),
            "custom_fields": {
                "support_tier": ["Essentials", "Professional", "Enterprise"][index % 3],
                "seats": 5 + (index * 7) % 120,
                "onboarded_on": (datetime.date(2021, 1, 4) + datetime.timedelta(days=37 * index)).isoformat(),
                "onsite_server": index % 3 == 0,
                **({"line_of_business_app": rng.choice(["Sage 50", "Xero", "Clio", "SIMS", "Dentally"])}
                   if index % 2 == 0 else {}),
            },
        }
        return client_onboard(
            msp=msp, actor=admin, client=client_fields,
            hq_site={"name": "Head office", "city": spec.city, "country": spec.country, "state": spec.state},
            primary_contact={"first_name": first, "last_name": last, "email": f"{first}.{last}@{domain}".lower()
                             .replace("'", ""), "job_title": "Managing Director", "is_billing": index % 2 == 0,
                             "phone": f"+44 20 7946 {rng.randint(1000, 9999)}"},
            business_hours=hours, holidays=UK_HOLIDAYS if spec.country == "GB" else [],
        )

    def _contacts(self, msp, admin, client: Client, spec: DemoClient, rng: random.Random, index: int) -> list[Contact]:
        domain = spec.domains[0]
        now = timezone.now()
        # (flags) for the contacts beyond the primary: each role flag appears in every client.
        roles = [
            {"is_billing": True},
            {"is_portal_user": True},
            {"is_technical": True, "is_portal_user": True},
            {"is_vip": True, "is_portal_user": True, "portal_sees_all_tickets": True},
            {"is_active": False},
        ] + ([{}] * (index % 3))  # and a few plain contacts
        used = {c.email for c in client.contacts.all()}
        contacts = list(client.contacts.all())
        for n, flags in enumerate(roles):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            email = f"{first}.{last}@{domain}".lower().replace("'", "")
            if email in used:
                email = f"{first}.{last}{n}@{domain}".lower().replace("'", "")
            used.add(email)
            contact = contact_create(
                msp=msp, actor=admin, client=client, first_name=first, last_name=last, email=email,
                job_title=rng.choice(JOB_TITLES), department=rng.choice(DEPARTMENTS),
                mobile=f"+44 7700 {rng.randint(900000, 900999)}",
                custom_fields={"preferred_contact": rng.choice(["Email", "Phone", "Teams"]),
                               "employee_id": f"E{rng.randint(1000, 9999)}"},
                tags=["key-contact"] if flags.get("is_vip") else [], **flags)
            contacts.append(contact)
            self.count("contacts")
        # Some portal users have signed in already; the rest show as "pending setup".
        portal = [c for c in contacts if c.is_portal_user]
        if portal and index % 2 == 0:
            Contact.objects.filter(msp=msp, pk=portal[0].pk).update(portal_invited_at=now - datetime.timedelta(days=30),
                                                                    portal_last_sign_in_at=now - datetime.timedelta(days=2))
        Contact.objects.filter(msp=msp, pk__in=[c.pk for c in portal[1:]]).update(portal_invited_at=now)
        if index % 5 == 0:  # an external organisation (their accountants) with a person linked to it
            org = contact_create(msp=msp, actor=admin, client=client, kind=Contact.Kind.ORGANISATION,
                                 organisation_name=f"{rng.choice(LAST)} & Partners Accountants",
                                 email=f"office@{rng.choice(LAST).lower().replace(chr(39), '')}partners.example",
                                 is_billing=True)
            person = contact_create(msp=msp, actor=admin, client=client, organisation=org, first_name="Jo",
                                    last_name=rng.choice(LAST), email=f"jo@{org.email.split('@')[1]}",
                                    job_title="External accountant")
            contacts += [org, person]
        if index == 0:  # one soft-deleted contact per MSP: the Super Admin's restore demo
            leaver = contact_create(msp=msp, actor=admin, client=client, first_name="Lee", last_name="Leaver",
                                    email=f"lee.leaver@{domain}", job_title="Former office manager")
            contact_delete(msp=msp, contact=leaver, actor=admin, reason="Left the company")
        return [c for c in contacts if c.kind == Contact.Kind.PERSON]

    def _assets(self, msp, client: Client, sites, contacts, rng: random.Random, index: int) -> None:
        prefix = "".join(w[0] for w in client.name.replace("-", " ").split()[:3]).upper()
        rows = []
        for n in range(3 + index % 8):
            kind, maker, model, os_name, os_version = ASSET_MODELS[(n + index) % len(ASSET_MODELS)]
            owner = rng.choice(contacts) if contacts and kind in (Asset.Kind.LAPTOP, Asset.Kind.MOBILE) else None
            rows.append(Asset(
                msp=msp, client=client, site=rng.choice(sites), contact=owner, kind=kind,
                name=f"{prefix}-{kind.value[:2].upper()}-{n + 1:03d}", manufacturer=maker, model=model, os=os_name,
                os_version=os_version, serial_number=f"{maker[:2].upper()}{rng.randint(10**7, 10**8 - 1)}",
                is_managed=kind != Asset.Kind.PRINTER, is_active=n != 5,
                last_seen_at=timezone.now() - datetime.timedelta(hours=rng.randint(1, 24 * 20)),
            ))
        Asset.objects.bulk_create(rows)
        self.count("assets", len(rows))

    def _tickets(self, msp, client: Client, contacts, staff, rng: random.Random) -> None:
        tech = staff[Role.TECHNICIAN]
        for n in range(rng.randint(2, 6)):
            subject, description = TICKETS[rng.randrange(len(TICKETS))]
            contact = rng.choice(contacts) if contacts else None
            portal = contact is not None and contact.is_portal_user and contact.is_active and n % 2 == 0
            ticket = ticket_create(msp=msp, client=client, contact=contact if contact and contact.is_active else None,
                                   subject=subject, description=description,
                                   source=Ticket.Source.PORTAL if portal else Ticket.Source.TECHNICIAN,
                                   actor=contact if portal else tech, assigned_to=tech if n % 3 else None)
            for reply in REPLIES[: rng.randint(0, 3)]:
                ticket_comment_add(msp=msp, ticket=ticket, body=reply, author_user=tech)
            if portal and n % 4 == 0:
                ticket_comment_add(msp=msp, ticket=ticket, body="Thanks, that fixed it.", author_contact=contact)
            if n % 3 == 2:
                ticket_comment_add(msp=msp, ticket=ticket, body="Checked the event log: disk nearly full.",
                                   author_user=tech, is_internal=True)
            status = [Ticket.Status.NEW, Ticket.Status.OPEN, Ticket.Status.WAITING, Ticket.Status.RESOLVED,
                      Ticket.Status.CLOSED][n % 5]
            if status != Ticket.Status.NEW:
                Ticket.objects.filter(msp=msp, pk=ticket.pk).update(
                    status=status, resolved_at=timezone.now() if status in (Ticket.Status.RESOLVED,
                                                                            Ticket.Status.CLOSED) else None)
            self.count("tickets")

    def _billing(self, msp, client: Client, index: int, spec: DemoClient, rng: random.Random) -> None:
        templates = list(ContractTemplate.objects.filter(msp=msp).order_by("name"))
        template = templates[index % len(templates)]
        start = datetime.date(2024, 1, 1) + datetime.timedelta(days=30 * (index % 12))
        Contract.objects.create(msp=msp, client=client, template=template, name=f"{template.name} – {client.name}",
                                status=Contract.Status.ACTIVE if not spec.archived_reason else Contract.Status.EXPIRED,
                                start_date=start, end_date=start + datetime.timedelta(days=730))
        self.count("contracts")
        for n in range(2 + index % 4):
            total = Decimal(rng.randint(120, 4800)).quantize(Decimal("1.00"))
            # The newest invoice of every third client is unpaid: blocks permanent delete.
            outstanding = total if (n == 0 and index % 3 == 0 and not spec.archived_reason) else Decimal("0.00")
            issued = datetime.date(2026, 10, 1) - datetime.timedelta(days=30 * n)
            Invoice.objects.create(
                msp=msp, client=client, number=f"INV-{index + 1:03d}{n + 1:02d}", total=total,
                outstanding_balance=outstanding, issued_on=issued, due_on=issued + datetime.timedelta(days=30),
                status=Invoice.Status.SENT if outstanding else Invoice.Status.PAID)
            self.count("invoices")

    def _unassigned_contacts(self, msp, domain: str, staff) -> None:
        """Contacts without a client (seed 003: "No Company Assigned")."""
        people = [("Pat", "Vendor", f"pat@printer-supplies-{msp.slug}.example", "Account manager at a supplier"),
                  ("Robin", "Auditor", f"robin@audit-{msp.slug}.example", "External auditor")]
        for first, last, email, title in people:
            if not Contact.objects.filter(msp=msp, client__isnull=True, email=email).exists():
                contact_create(msp=msp, actor=staff[Role.ADMIN], first_name=first, last_name=last, email=email,
                               job_title=title)
                self.count("contacts without a client")
