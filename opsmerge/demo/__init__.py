"""The demo sign-ins of `make run`, free of Django imports so the dev runner can print
them. The demo data itself is the `demo` app (demo/seed.py, `manage.py seed_demo`)."""

DEMO_PASSWORD = "opsmerge-demo"  # noqa: S105 - documented demo password, never for production data

# (slug, MSP name, email domain of its staff)
DEMO_MSPS = (
    ("brightwave", "Brightwave IT", "brightwave.example"),
    ("harbour", "Harbour Managed Services", "harbour.example"),
)

# (role value, mailbox, full name)
DEMO_STAFF = (
    ("super_admin", "superadmin", "Sasha Super"),
    ("admin", "admin", "Alex Admin"),
    ("msp_admin", "mspadmin", "Morgan MSP-Admin"),
    ("compliance_admin", "compliance", "Casey Compliance"),
    ("technician", "tech", "Taylor Tech"),
    ("read_only", "readonly", "Riley Read-only"),
)

PLATFORM_ADMIN_EMAIL = "platform@opsmerge.example"


def demo_sign_ins() -> list[tuple[str, str, str]]:
    """(MSP name, role, email) for every demo staff user."""
    return [(msp_name, role, f"{mailbox}@{domain}") for _slug, msp_name, domain in DEMO_MSPS
            for role, mailbox, _name in DEMO_STAFF]
