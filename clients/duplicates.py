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
from django.utils import timezone
from psycopg.types.json import Jsonb

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
MAX_BLOCK = 40
# pg_trgm similarity cannot reach 0.5 when one key is much shorter than the other
# (its trigram count bounds the overlap); such pairs are not sent to be scored.
MIN_LENGTH_RATIO = 0.4
MAX_EXACT_BLOCK = 300
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
                """SELECT d.client_id, d.domain FROM clients_clientdomain d
                   JOIN clients_client c ON c.msp_id = d.msp_id AND c.id = d.client_id
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
                   FROM contacts_contact k JOIN clients_client c ON c.msp_id = k.msp_id AND c.id = k.client_id
                   WHERE k.msp_id = %s AND k.deleted_at IS NULL AND c.status <> 'archived' AND c.id <> %s
                     AND lower(split_part(k.email, '@', 2)) = ANY(%s::text[])""",
                [msp.pk, exclude_pk or 0, bases],
            )
            for pk, domain in cursor.fetchall():
                pairs.add(me, pk, _SCORES["contact_domain"], f"Its contacts use {domain}")
    ranked = sorted(((score, reasons, pk) for (_me, pk), (score, reasons) in pairs.data.items()),
                    key=lambda r: (-r[0], r[2]))[:limit]
    clients = Client.objects.filter(msp=msp).in_bulk([pk for _s, _r, pk in ranked])
    return [DuplicateMatch(clients[pk], score, reasons) for score, reasons, pk in ranked if pk in clients]


def _name_blocks(rows: list[tuple[int, str]]) -> set[tuple[int, int]]:
    """Candidate pairs for the name comparison: clients sharing a word of their
    key, the first letters of their compact key (typos later in the name), or the
    whole compact key ("acmetech" = "acme tech"). Blocks larger than MAX_BLOCK are
    words too common to mean anything ("services", "group") and are skipped, except
    exact keys, which always pair up to MAX_EXACT_BLOCK. Scoring every pair of a
    large MSP with one pg_trgm self-join would probe the index for every client."""
    blocks: dict[str, list[int]] = defaultdict(list)
    for pk, key in rows:
        compact = key.replace(" ", "")
        blocks["=" + compact].append(pk)
        for token in {*key.split(), "^" + compact[:5]}:
            if len(token) >= 3:
                blocks[token].append(pk)
    length = {pk: len(key) for pk, key in rows}
    candidates: set[tuple[int, int]] = set()
    for token, ids in blocks.items():
        if token.startswith("="):
            if 1 < len(ids) <= MAX_EXACT_BLOCK:
                candidates.update(combinations(sorted(ids), 2))
        elif 1 < len(ids) <= MAX_BLOCK:
            candidates.update(
                (a, b) for a, b in combinations(sorted(ids), 2)
                if min(length[a], length[b]) >= MIN_LENGTH_RATIO * max(length[a], length[b])
            )
    return candidates


def _copy(sql: str, rows) -> None:
    """COPY rows in through the connection's own transaction (large parameter lists
    are slow to bind; COPY streams them)."""
    connection.ensure_connection()
    with connection.connection.cursor() as cursor, cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def _temp_table(cursor, name: str, columns: str) -> None:
    cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {name} ({columns}) ON COMMIT DROP")
    cursor.execute(f"TRUNCATE {name}")


def _name_pairs(cursor, msp_id: int, pairs: _Pairs) -> None:
    _temp_table(cursor, "dup_keys", "id bigint PRIMARY KEY, key text NOT NULL")
    cursor.execute(
        "INSERT INTO dup_keys SELECT id, opsmerge_client_name_key(name) FROM clients_client "
        "WHERE msp_id = %s AND status <> 'archived' RETURNING id, key",
        [msp_id],
    )
    candidates = _name_blocks(cursor.fetchall())
    if not candidates:
        return
    _temp_table(cursor, "dup_pairs", "a bigint NOT NULL, b bigint NOT NULL")
    _copy("COPY dup_pairs (a, b) FROM STDIN", candidates)
    cursor.execute(
        """SELECT a, b, same, sim FROM (
             SELECT p.a, p.b, replace(x.key, ' ', '') = replace(y.key, ' ', '') AS same, similarity(x.key, y.key) AS sim
             FROM dup_pairs p JOIN dup_keys x ON x.id = p.a JOIN dup_keys y ON y.id = p.b) AS scored
           WHERE same OR sim >= %s""",
        [NAME_MIN_SIMILARITY],
    )
    for a, b, same, sim in cursor.fetchall():
        pairs.add(a, b, *_name_reason(same, sim))


def _domain_pairs(cursor, msp_id: int, pairs: _Pairs) -> None:
    cursor.execute(
        """SELECT d.client_id, d.domain FROM clients_clientdomain d
           JOIN clients_client c ON c.msp_id = d.msp_id AND c.id = d.client_id
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
           JOIN clients_client c ON c.msp_id = k.msp_id AND c.id = k.client_id
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
@transaction.atomic
def duplicates_recompute(*, msp) -> int:
    """Replace the MSP's DuplicateCandidate rows by a fresh scan; dismissed pairs
    stay dismissed. Returns the number of candidates. One scan per MSP at a time: a
    transaction-level advisory lock keyed on the MSP makes a second scan wait for the
    first (then replace its rows) instead of colliding on the pair constraint."""
    pairs = _Pairs()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('clients.duplicates_recompute'), %s)", [msp.pk])
        _name_pairs(cursor, msp.pk, pairs)
        _domain_pairs(cursor, msp.pk, pairs)
    dismissed = set(DuplicateDismissal.objects.filter(msp=msp).values_list("client_a_id", "client_b_id"))
    DuplicateCandidate.objects.filter(msp=msp).delete()
    now = timezone.now()
    rows = [(msp.pk, a, b, score, Jsonb(reasons), now)
            for (a, b), (score, reasons) in pairs.data.items() if (a, b) not in dismissed]
    _copy(f"COPY {DuplicateCandidate._meta.db_table} (msp_id, client_a_id, client_b_id, score, reasons, computed_at) "
          "FROM STDIN", rows)
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
