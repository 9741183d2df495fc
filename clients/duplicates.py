"""Duplicate client detection: better than "by name, then by domain" (seed 000).

Names are compared by a normalised key (case, punctuation, hyphens, "&", a leading
"The" and trailing legal suffixes such as Ltd / Limited / Inc / LLC / GmbH ignored)
scored with PostgreSQL pg_trgm over an expression index; domains by their
registrable part (www. and subdomains ignored); and clients whose contacts share an
email domain (free-mail providers excepted). The SQL function
`opsmerge_client_name_key` (migration clients 0003) and `normalize_client_name`
are the same algorithm; a test keeps them identical.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import combinations

from django.db import connection, transaction

from accounts.permissions import Op, require
from opsmerge.audit import audit_record
from opsmerge.validators import normalize_domain

from .models import Client, DuplicateCandidate, DuplicateDismissal

LEGAL_SUFFIXES = (
    "ltd|limited|inc|incorporated|llc|llp|lp|plc|gmbh|ag|kg|ug|co|corp|corporation|company|sa|sas|sarl|srl|spa"
    "|bv|nv|oy|ab|as|aps|pty|pte|kk|bhd|sdn"
)
_SUFFIX_RE = re.compile(rf"(( and)? ({LEGAL_SUFFIXES}))+$")
_NON_ALNUM = re.compile(r"[\W_]+")

# Second-level labels under which registrations happen (example.co.uk).
_SECOND_LEVEL = {"co", "com", "org", "net", "ac", "gov", "edu", "ltd", "plc", "me", "sch", "nhs", "or", "ne"}
FREE_MAIL = frozenset({
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "hotmail.co.uk", "live.com", "msn.com",
    "yahoo.com", "yahoo.co.uk", "icloud.com", "me.com", "aol.com", "proton.me", "protonmail.com", "gmx.com",
    "gmx.de", "web.de", "mail.com", "zoho.com", "btinternet.com", "sky.com", "onmicrosoft.com",
})

NAME_MIN_SIMILARITY = 0.5
_SCORES = {"same_domain": 0.95, "related_domain": 0.85, "contact_domain": 0.7}


def normalize_client_name(name: str) -> str:
    """The comparison key of a client name: "The ACME-Tech Ltd." → "acme tech"."""
    s = _NON_ALNUM.sub(" ", (name or "").lower().replace("&", " and ")).strip()
    s = re.sub(r"^the ", "", s)
    return _SUFFIX_RE.sub("", " " + s).strip() or s


def domain_base(domain: str) -> str:
    """Registrable part of a domain: mail.eu.example.co.uk → example.co.uk."""
    labels = normalize_domain(domain).split(".")
    if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL and len(labels[-1]) == 2:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


@dataclass
class DuplicateMatch:
    client: Client
    score: float
    reasons: list[str] = field(default_factory=list)


class _Pairs:
    """Scores and reasons per client pair (lower id first); a pair with several
    signals scores a little higher than its best one."""

    def __init__(self):
        self.data: dict[tuple[int, int], tuple[float, list[str]]] = {}

    def add(self, a: int, b: int, score: float, reason: str) -> None:
        if a == b:
            return
        key = (min(a, b), max(a, b))
        old_score, reasons = self.data.get(key, (0.0, []))
        if reason in reasons:
            return
        combined = max(old_score, score) + (0.05 if reasons else 0.0)
        self.data[key] = (round(min(combined, 1.0), 3), [*reasons, reason])


def _name_reason(same: bool, sim: float) -> tuple[float, str]:
    if same:
        return 1.0, "Same name once case, punctuation and legal suffixes are ignored"
    return sim, f"Similar name ({round(sim * 100)}% alike)"


def likely_duplicates(*, msp, name: str, domains=(), exclude_pk=None, limit: int = 5) -> list[DuplicateMatch]:
    """Existing (not archived) clients of `msp` that look like a client called
    `name` with email `domains`, best first. Used by the new-client form."""
    key = normalize_client_name(name)
    bases = sorted({domain_base(d) for d in domains if normalize_domain(d)} - FREE_MAIL)
    pairs = _Pairs()
    me = 0  # stand-in id for the client being typed
    with connection.cursor() as cursor:
        if key:
            cursor.execute(
                """SELECT c.id, replace(opsmerge_client_name_key(c.name), ' ', '') = %s AS same,
                          similarity(opsmerge_client_name_key(c.name), %s) AS sim
                   FROM clients_client c
                   WHERE c.msp_id = %s AND c.status <> 'archived' AND c.id <> %s
                     AND (opsmerge_client_name_key(c.name) %% %s
                          OR replace(opsmerge_client_name_key(c.name), ' ', '') = %s)
                   ORDER BY same DESC, sim DESC LIMIT 50""",
                [key.replace(" ", ""), key, msp.pk, exclude_pk or 0, key, key.replace(" ", "")],
            )
            for pk, same, sim in cursor.fetchall():
                if same or sim >= NAME_MIN_SIMILARITY:
                    pairs.add(me, pk, *_name_reason(same, sim))
        if bases:
            cursor.execute(
                """SELECT d.client_id, d.domain FROM clients_clientdomain d JOIN clients_client c ON c.id = d.client_id
                   WHERE d.msp_id = %s AND c.status <> 'archived' AND c.id <> %s
                     AND (d.domain = ANY(%s::text[])
                          OR EXISTS (SELECT 1 FROM unnest(%s::text[]) b WHERE d.domain LIKE '%%.' || b))""",
                [msp.pk, exclude_pk or 0, bases, bases],
            )
            wanted = {normalize_domain(d) for d in domains}
            for pk, domain in cursor.fetchall():
                if domain in wanted:
                    pairs.add(me, pk, _SCORES["same_domain"], f"Same email domain {domain}")
                else:
                    pairs.add(me, pk, _SCORES["related_domain"], f"Related domain {domain}")
            cursor.execute(
                """SELECT DISTINCT k.client_id, lower(split_part(k.email, '@', 2))
                   FROM contacts_contact k JOIN clients_client c ON c.id = k.client_id
                   WHERE k.msp_id = %s AND k.deleted_at IS NULL AND c.status <> 'archived' AND c.id <> %s
                     AND lower(split_part(k.email, '@', 2)) = ANY(%s::text[])""",
                [msp.pk, exclude_pk or 0, bases],
            )
            for pk, domain in cursor.fetchall():
                pairs.add(me, pk, _SCORES["contact_domain"], f"Its contacts use {domain}")
    ranked = sorted(((score, reasons, pk) for (_me, pk), (score, reasons) in pairs.data.items()),
                    key=lambda r: (-r[0], r[2]))[:limit]
    clients = Client.objects.in_bulk([pk for _s, _r, pk in ranked])
    return [DuplicateMatch(clients[pk], score, reasons) for score, reasons, pk in ranked if pk in clients]


def _name_pairs(cursor, msp_id: int, pairs: _Pairs) -> None:
    cursor.execute("SET LOCAL pg_trgm.similarity_threshold = %s", [NAME_MIN_SIMILARITY])
    cursor.execute(
        """WITH k AS (SELECT id, opsmerge_client_name_key(name) AS key FROM clients_client
                      WHERE msp_id = %s AND status <> 'archived')
           SELECT a.id, b.id, replace(a.key, ' ', '') = replace(opsmerge_client_name_key(b.name), ' ', ''),
                  similarity(a.key, opsmerge_client_name_key(b.name))
           FROM k a JOIN clients_client b
             ON b.msp_id = %s AND b.status <> 'archived' AND b.id > a.id
            AND opsmerge_client_name_key(b.name) %% a.key""",
        [msp_id, msp_id],
    )
    for a, b, same, sim in cursor.fetchall():
        pairs.add(a, b, *_name_reason(same, sim))
    cursor.execute(
        """WITH k AS (SELECT id, replace(opsmerge_client_name_key(name), ' ', '') AS compact FROM clients_client
                      WHERE msp_id = %s AND status <> 'archived')
           SELECT a.id, b.id FROM k a JOIN k b ON a.compact = b.compact AND b.id > a.id""",
        [msp_id],
    )
    for a, b in cursor.fetchall():
        pairs.add(a, b, *_name_reason(True, 1.0))


def _domain_pairs(cursor, msp_id: int, pairs: _Pairs) -> None:
    cursor.execute(
        """SELECT d.client_id, d.domain FROM clients_clientdomain d JOIN clients_client c ON c.id = d.client_id
           WHERE d.msp_id = %s AND c.status <> 'archived'""",
        [msp_id],
    )
    by_base: dict[str, set[int]] = defaultdict(set)
    for client_id, domain in cursor.fetchall():
        by_base[domain_base(domain)].add(client_id)
    for base, ids in by_base.items():
        if 1 < len(ids) <= 10:
            for a, b in combinations(sorted(ids), 2):
                pairs.add(a, b, _SCORES["related_domain"], f"Domains under {base}")
    # Contacts' email domains, shared between clients or matching another client's domain.
    cursor.execute(
        """SELECT DISTINCT k.client_id, lower(split_part(k.email, '@', 2)) FROM contacts_contact k
           JOIN clients_client c ON c.id = k.client_id
           WHERE k.msp_id = %s AND k.deleted_at IS NULL AND k.email <> '' AND c.status <> 'archived'""",
        [msp_id],
    )
    by_contact_base: dict[str, set[int]] = defaultdict(set)
    for client_id, domain in cursor.fetchall():
        if domain and domain not in FREE_MAIL:
            by_contact_base[domain_base(domain)].add(client_id)
    for base, ids in by_contact_base.items():
        if base in FREE_MAIL:
            continue
        ids = ids | by_base.get(base, set())
        if 1 < len(ids) <= 10:
            for a, b in combinations(sorted(ids), 2):
                pairs.add(a, b, _SCORES["contact_domain"], f"Contacts share the email domain {base}")


@transaction.atomic
def duplicates_recompute(*, msp) -> int:
    """Replace the MSP's DuplicateCandidate rows by a fresh scan; dismissed pairs
    stay dismissed. Returns the number of candidates."""
    pairs = _Pairs()
    with connection.cursor() as cursor:
        _name_pairs(cursor, msp.pk, pairs)
        _domain_pairs(cursor, msp.pk, pairs)
    dismissed = set(DuplicateDismissal.objects.filter(msp=msp).values_list("client_a_id", "client_b_id"))
    DuplicateCandidate.objects.filter(msp=msp).delete()
    rows = [
        DuplicateCandidate(msp=msp, client_a_id=a, client_b_id=b, score=score, reasons=reasons)
        for (a, b), (score, reasons) in pairs.data.items()
        if (a, b) not in dismissed
    ]
    DuplicateCandidate.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def duplicate_candidate_list(*, msp):
    """Open suggestions, best first: both clients still live and unmerged."""
    return (
        DuplicateCandidate.objects.filter(msp=msp)
        .exclude(client_a__status=Client.Status.ARCHIVED).exclude(client_b__status=Client.Status.ARCHIVED)
        .select_related("client_a", "client_b").order_by("-score", "client_a__name", "pk")
    )


@transaction.atomic
def duplicate_dismiss(*, msp, candidate: DuplicateCandidate, actor) -> DuplicateDismissal:
    """Mark a pair as "not duplicates": it is never suggested again."""
    require(actor, Op.CLIENT_EDIT)
    dismissal, _ = DuplicateDismissal.objects.get_or_create(
        msp=msp, client_a_id=candidate.client_a_id, client_b_id=candidate.client_b_id,
        defaults={"dismissed_by": actor},
    )
    DuplicateCandidate.objects.filter(msp=msp, pk=candidate.pk).delete()
    for client in (candidate.client_a, candidate.client_b):
        other = candidate.client_b if client is candidate.client_a else candidate.client_a
        audit_record(msp=msp, actor=actor, action="client.not_duplicate", obj=client,
                     changes={"other_client": [None, {"id": other.pk, "repr": other.name}]})
    return dismissal
