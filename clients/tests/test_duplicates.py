import pytest
from django.db import connection

from accounts.roles import Role
from clients.duplicates import (
    domain_base,
    duplicate_candidate_list,
    duplicate_dismiss,
    duplicates_recompute,
    likely_duplicates,
    normalize_client_name,
)
from clients.models import DuplicateCandidate, DuplicateDismissal
from clients.tests.factories import ClientDomainFactory, ClientFactory
from contacts.tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

NAMES = [
    ("The ACME-Tech Ltd.", "acme tech"), ("Acme Tech Limited", "acme tech"), ("ACME TECH, INC", "acme tech"),
    ("Smith & Co", "smith"), ("Müller GmbH & Co. KG", "müller"), ("Limited", "limited"), ("Ltd Ltd", "ltd ltd"),
    ("Contoso_Holdings LLC", "contoso holdings"), ("  Café   Olé SARL ", "café olé"), ("東京 Inc", "東京"),
    ("Co-operative Bank plc", "co operative bank"), ("The", "the"), ("", ""), ("Northwind Corp.", "northwind"),
]


@pytest.mark.parametrize("name,key", NAMES)
def test_python_and_sql_keys_agree(name, key):
    assert normalize_client_name(name) == key
    with connection.cursor() as cursor:
        cursor.execute("SELECT opsmerge_client_name_key(%s)", [name])
        assert cursor.fetchone()[0] == key


@pytest.mark.parametrize("domain,base", [
    ("www.acme.com", "acme.com"), ("mail.eu.acme.co.uk", "acme.co.uk"), ("acme.co.uk", "acme.co.uk"),
    ("HTTPS://Sub.Acme.io/", "acme.io"),
])
def test_domain_base(domain, base):
    assert domain_base(domain) == base


def test_likely_duplicates_on_create(scoped):
    hyphen = ClientFactory(msp=scoped, name="ACME-Tech Limited")
    by_domain = ClientFactory(msp=scoped, name="Totally Different")
    ClientDomainFactory(msp=scoped, client=by_domain, domain="eu.acmetech.example")
    by_contacts = ClientFactory(msp=scoped, name="Another Name")
    ContactFactory(msp=scoped, client=by_contacts, email="bob@acmetech.example")
    ClientFactory(msp=scoped, name="Acme Tech Ltd", status="archived", archived_at="2026-01-01T00:00:00Z")
    ClientFactory(msp=scoped, name="Globex")
    matches = likely_duplicates(msp=scoped, name="Acme Tech Ltd", domains=["www.acmetech.example"])
    assert [m.client for m in matches] == [hyphen, by_domain, by_contacts]
    assert matches[0].score == 1.0 and "legal suffixes" in matches[0].reasons[0]
    assert "Related domain" in matches[1].reasons[0]
    assert likely_duplicates(msp=scoped, name="Acme Tech Ltd", exclude_pk=hyphen.pk)[:1] == []


def test_likely_duplicates_stays_in_the_msp(two_msps):
    from opsmerge.tenancy import msp_scope

    alpha, bravo = two_msps
    with msp_scope(alpha.msp):
        assert likely_duplicates(msp=alpha.msp, name=bravo.objects["client"].name,
                                 domains=[bravo.objects["domain"].domain]) == []


def test_scan_finds_pairs_and_respects_dismissals(scoped, user):
    a = ClientFactory(msp=scoped, name="Contoso Ltd")
    b = ClientFactory(msp=scoped, name="contoso limited")
    c = ClientFactory(msp=scoped, name="Fabrikam")
    e = ClientFactory(msp=scoped, name="Zeta")
    f = ClientFactory(msp=scoped, name="Omega")
    ClientDomainFactory(msp=scoped, client=e, domain="zeta.example")
    ContactFactory(msp=scoped, client=f, email="x@zeta.example")
    ContactFactory(msp=scoped, client=a, email="x@gmail.com")
    ContactFactory(msp=scoped, client=c, email="y@gmail.com")  # free mail: no signal
    assert duplicates_recompute(msp=scoped) >= 2
    pairs = {(x.client_a_id, x.client_b_id): x for x in DuplicateCandidate.objects.all()}
    assert pairs[(a.pk, b.pk)].score == 1.0
    assert (e.pk, f.pk) in pairs and (a.pk, c.pk) not in pairs
    duplicate_dismiss(msp=scoped, candidate=pairs[(a.pk, b.pk)], actor=user)
    assert DuplicateDismissal.objects.filter(client_a=a, client_b=b).exists()
    duplicates_recompute(msp=scoped)
    assert not DuplicateCandidate.objects.filter(client_a=a, client_b=b).exists()
    assert list(duplicate_candidate_list(msp=scoped))


def test_dismiss_needs_edit_permission(scoped, make_user):
    from django.core.exceptions import PermissionDenied

    a, b = ClientFactory(msp=scoped, name="Same"), ClientFactory(msp=scoped, name="Same")
    duplicates_recompute(msp=scoped)
    candidate = DuplicateCandidate.objects.get()
    with pytest.raises(PermissionDenied):
        duplicate_dismiss(msp=scoped, candidate=candidate, actor=make_user(role=Role.READ_ONLY))
    assert (candidate.client_a_id, candidate.client_b_id) == (a.pk, b.pk)


@pytest.mark.django_db(transaction=True)
def test_concurrent_recomputes_of_one_msp_do_not_collide(msp):
    """Two scans at once (beat + a technician's "Scan now") serialise per MSP instead
    of failing with UniqueViolation; the result is one set of candidates."""
    import threading

    from opsmerge.tenancy import msp_scope

    with msp_scope(msp):
        for i in range(30):
            ClientFactory(msp=msp, name=f"Contoso {i % 10} Ltd")
            ClientFactory(msp=msp, name=f"contoso {i % 10} limited")
    barrier, errors, counts = threading.Barrier(2), [], []

    def scan():
        try:
            with msp_scope(msp):
                barrier.wait()
                counts.append(duplicates_recompute(msp=msp))
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    for _attempt in range(3):
        threads = [threading.Thread(target=scan) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        barrier.reset()
    assert errors == []
    with msp_scope(msp):
        assert DuplicateCandidate.objects.filter(msp=msp).count() == counts[-1] > 0
