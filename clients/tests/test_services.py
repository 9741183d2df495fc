import pytest
from django.core.exceptions import ValidationError

from accounts.tests.factories import TechGroupFactory, UserFactory
from clients.models import Client, ClientDomain, ClientTag, CustomField, Tag
from clients.onboarding import client_onboard
from clients.services import client_create, client_update, tags_get_or_create
from clients.tests.factories import ClientFactory, CustomFieldFactory
from contacts.models import Contact
from opsmerge.models import AuditEvent
from sites.models import Site

pytestmark = pytest.mark.django_db


def test_create_normalises_domains_and_audits(scoped, user):
    client = client_create(msp=scoped, actor=user, name="Acme Ltd", domains=["https://WWW.Acme.co.uk/", "acme.com"],
                           tags=["tier:gold", "Tier:Gold", "vertical:legal"])
    assert list(client.domains.values_list("domain", "is_primary")) == [("acme.co.uk", True), ("acme.com", False)]
    assert sorted(client.tags.values_list("name", flat=True)) == ["tier:gold", "vertical:legal"]
    event = AuditEvent.objects.get(action="client.create")
    assert event.client_id == client.pk and event.actor == user
    assert event.changes["domains"] == ["acme.co.uk", "acme.com"]


def test_domain_unique_per_msp_case_insensitive(scoped):
    client_create(msp=scoped, name="One", domains=["acme.com"])
    with pytest.raises(ValidationError) as exc:
        client_create(msp=scoped, name="Two", domains=["ACME.com"])
    assert "already belongs to client One" in str(exc.value.message_dict["domains"])
    assert not Client.objects.filter(name="Two").exists()  # nothing half-written


def test_same_domain_allowed_in_another_msp(two_msps):
    from opsmerge.tenancy import msp_scope

    _alpha, bravo = two_msps
    with msp_scope(bravo.msp):
        client_create(msp=bravo.msp, name="Bravo twin", domains=["alphacorp.example"])
        assert ClientDomain.objects.filter(domain="alphacorp.example").count() == 1


@pytest.mark.parametrize("field,value,message", [
    ("time_zone", "Mars/Olympus", "IANA"),
    ("country", "XX", "ISO 3166-1"),
    ("state", "ZZ-99", "ISO 3166-2"),
    ("phone_number", "020 7946", "Digits only"),
])
def test_create_rejects_bad_fields_at_the_field(scoped, field, value, message):
    with pytest.raises(ValidationError) as exc:
        client_create(msp=scoped, name="Bad", **{field: value})
    assert message in " ".join(exc.value.message_dict[field])


def test_state_must_belong_to_country(scoped):
    with pytest.raises(ValidationError) as exc:
        client_create(msp=scoped, name="Mismatch", country="GB", state="US-CA")
    assert "state" in exc.value.message_dict


def test_account_manager_of_another_msp_is_refused(scoped):
    stranger = UserFactory()  # another MSP
    with pytest.raises(ValidationError) as exc:
        client_create(msp=scoped, name="X", account_manager=stranger)
    assert "account_manager" in exc.value.message_dict


def test_tech_groups_of_another_msp_are_refused(scoped):
    foreign = TechGroupFactory()
    with pytest.raises(ValidationError):
        client_create(msp=scoped, name="X", tech_groups=[foreign])


def test_update_records_only_changed_fields(scoped, user):
    client = client_create(msp=scoped, name="Acme", tags=["a"])
    client_update(msp=scoped, client=client, actor=user, industry="Legal", tags=["a", "b"])
    event = AuditEvent.objects.get(action="client.update")
    assert event.changes == {"industry": ["", "Legal"], "tags": [["a"], ["a", "b"]]}


def test_update_cannot_archive_through_status(scoped):
    client = client_create(msp=scoped, name="Acme")
    with pytest.raises(ValidationError):
        client_update(msp=scoped, client=client, status=Client.Status.ARCHIVED)


def test_custom_fields_validated_by_type(scoped):
    CustomFieldFactory(msp=scoped, key="seats", label="Seats", field_type=CustomField.Type.NUMBER)
    CustomFieldFactory(msp=scoped, key="renewal", label="Renewal", field_type=CustomField.Type.DATE)
    CustomFieldFactory(msp=scoped, key="tier", label="Tier", field_type=CustomField.Type.CHOICE,
                       choices=["gold", "silver"])
    client = client_create(msp=scoped, name="A", custom_fields={"seats": "12", "renewal": "2027-01-31",
                                                                 "tier": "gold"})
    assert client.custom_fields == {"seats": 12, "renewal": "2027-01-31", "tier": "gold"}
    with pytest.raises(ValidationError) as exc:
        client_create(msp=scoped, name="B", custom_fields={"seats": "many", "tier": "bronze", "nope": 1})
    errors = exc.value.message_dict
    assert set(errors) == {"seats", "tier", "nope"}


def test_tags_are_shared_and_case_insensitive(scoped):
    first = tags_get_or_create(msp=scoped, names=["tier:gold"])
    again = tags_get_or_create(msp=scoped, names=["TIER:GOLD", " tier:gold "])
    assert [t.pk for t in again] == [first[0].pk]
    assert Tag.objects.count() == 1


def test_onboard_creates_client_site_and_primary_contact_atomically(scoped, user):
    client = client_onboard(
        msp=scoped, actor=user,
        client={"name": "Contoso", "time_zone": "Europe/Berlin", "domains": ["contoso.com"]},
        hq_site={"name": "Berlin HQ", "city": "Berlin", "country": "DE"},
        primary_contact={"first_name": "Greta", "last_name": "Weber", "email": "Greta@Contoso.com"},
    )
    site = Site.objects.get(client=client)
    contact = Contact.objects.get(client=client)
    assert site.is_hq and contact.is_primary and contact.email == "greta@contoso.com"


def test_onboard_failure_leaves_nothing(scoped, user):
    with pytest.raises(ValidationError) as exc:
        client_onboard(
            msp=scoped, actor=user,
            client={"name": "Contoso", "time_zone": "Europe/Berlin"},
            hq_site={"name": "Berlin HQ", "country": "DE", "state": "FR-75"},
            primary_contact={"first_name": "Greta", "last_name": "Weber", "email": "greta@contoso.com"},
        )
    assert "hq_site.state" in exc.value.message_dict
    assert not Client.objects.exists() and not Site.objects.exists() and not Contact.objects.exists()


def test_onboard_refuses_the_technicians_own_email(scoped, user):
    with pytest.raises(ValidationError) as exc:
        client_onboard(msp=scoped, actor=user, client={"name": "C"}, hq_site={"name": "HQ"},
                       primary_contact={"first_name": "A", "last_name": "B", "email": user.email.upper()})
    assert "primary_contact.email" in exc.value.message_dict


def test_client_tag_links_carry_msp(scoped):
    client = ClientFactory(msp=scoped)
    from clients.services import client_set_tags

    client_set_tags(msp=scoped, client=client, names=["x"])
    assert ClientTag.objects.get().msp_id == scoped.pk


def test_update_of_a_deleted_client_does_not_resurrect_it(scoped):
    client = client_create(msp=scoped, name="Gone soon")
    stale = Client.objects.get(pk=client.pk)
    Client.objects.filter(pk=client.pk).delete()
    with pytest.raises(ValidationError, match="no longer exists"):
        client_update(msp=scoped, client=stale, name="Back from the dead")
    assert not Client.objects.filter(pk=client.pk).exists()
