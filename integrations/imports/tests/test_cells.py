"""The importer's precompiled email check says exactly what Django's validator says
(it only short-cuts values the validator accepts), on a corpus of edge cases and on
generated addresses."""

import pytest
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from integrations.imports import cells
from opsmerge.validators import normalize_email

CORPUS = [
    # plain and common
    "a@b.co", "john.smith@example.com", "JOHN.SMITH@EXAMPLE.COM", "  padded@example.com  ", "x@sub.domain.example",
    "first.last+tag@mail.example.org", "o'brien@example.ie", "a_b-c@ex-ample.com", "1234@123.example",
    "user@xn--bcher-kva.example", "user@bücher.example", "üser@example.com", "user@例え.テスト",
    "!#$%&'*+/=?^_`{|}~-@example.com",
    # dot placement
    ".lead@example.com", "trail.@example.com", "dou..ble@example.com", "user@.example.com", "user@example..com",
    "user@example.com.", "user@-example.com", "user@example-.com", "user@example.-com",
    # the TLD
    "user@example", "user@example.c", "user@example.c0m", "user@example.xn--p1ai", "user@example.123",
    f"user@example.{'a' * 63}", f"user@example.{'a' * 64}",
    # labels and lengths
    f"user@{'a' * 63}.com", f"user@{'a' * 64}.com", f"{'u' * 64}@example.com", f"{'u' * 250}@example.com",
    f"{'u' * 300}@example.com", f"{'u' * 310}@{'d' * 60}.com",
    # @ signs, quotes, literals, localhost
    "", "@", "user@", "@example.com", "user@@example.com", "a@b@example.com", "user example@example.com",
    '"quoted"@example.com', '"quo ted"@example.com', '"a@b"@example.com', '"unterminated@example.com',
    "user@[127.0.0.1]", "user@[IPv6:::1]", "user@[::1]", "user@[999.1.1.1]", "user@localhost", "user@LOCALHOST",
    # whitespace and control characters inside
    "user@exa mple.com", "us\ter@example.com", "user@example.com\n", "user\n@example.com", "user@ex\x00ample.com",
    "user@example.com\u200b", "user@ＥＸＡＭＰＬＥ.com", "user@example．com", "user＠example.com",
]


def reference(value: str) -> str:
    """cells.email as it was: Django's validator on every value."""
    value = normalize_email(value)
    try:
        validate_email(value)
    except ValidationError:
        raise cells.CellError("Not a valid email address.") from None
    if len(value) > 254:
        raise cells.CellError("Longer than 254 characters.")
    return value


def outcome(check, value: str) -> tuple[str, str]:
    try:
        return ("ok", check(value))
    except cells.CellError as exc:
        return ("error", exc.message)


@pytest.mark.parametrize("value", CORPUS)
def test_email_check_matches_django_on_the_corpus(value):
    assert outcome(cells.email, value) == outcome(reference, value)


def test_the_corpus_has_both_outcomes_and_both_paths():
    results = [outcome(cells.email, v)[0] for v in CORPUS]
    assert results.count("ok") >= 10 and results.count("error") >= 20
    # Values Django accepts that the common-case pattern does not (quoted, literal,
    # localhost) prove the fallback is reached.
    fallback = [v for v in CORPUS if outcome(reference, v)[0] == "ok"
                and not cells._EMAIL_COMMON.match(normalize_email(v))]
    assert {'"quoted"@example.com', "user@[127.0.0.1]", "user@localhost"} <= set(fallback)


PIECES = st.sampled_from([*"abcXYZ019.-_+'\"@[]:! \t\nüé例-．＠", "xn--", ".com", "@example.org", "a" * 63])


def mangled(max_pieces: int):
    return st.lists(PIECES, max_size=max_pieces).map("".join)


@settings(max_examples=400, derandomize=True, deadline=None)
@given(st.one_of(st.emails(), mangled(20), st.text(max_size=30),
                 st.builds(lambda u, d: f"{u}@{d}", mangled(8), mangled(10))))
def test_email_check_matches_django_on_generated_values(value):
    assert outcome(cells.email, value) == outcome(reference, value)
