"""Telegram's initData check: what Telegram signed passes, anything else is refused."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode

import pytest

from assistant.miniapp.initdata import InitDataRejected, sign, verify

TOKEN = "123456:TEST-token"
NOW = datetime(2027, 3, 14, 18, 30, tzinfo=UTC)
HOUR = timedelta(hours=1)


def test_what_telegram_signed_names_its_user():
    launch = verify(sign(3001, TOKEN, now=NOW, language_code="en"), TOKEN, now=NOW, max_age=HOUR)
    assert launch.telegram_id == 3001
    assert launch.language_code == "en"
    assert launch.auth_date == NOW.replace(microsecond=0)


def test_the_documented_algorithm_with_fields_in_any_order():
    # Telegram's own order is not alphabetical; the check string sorts them.
    fields = dict(parse_qsl(sign(3001, TOKEN, now=NOW)))
    shuffled = urlencode(dict(reversed(list(fields.items()))))
    assert verify(shuffled, TOKEN, now=NOW, max_age=HOUR).telegram_id == 3001


@pytest.mark.parametrize(
    "tamper",
    [
        lambda f: {**f, "user": f["user"].replace("3001", "2001")},  # someone else's id
        lambda f: {**f, "hash": "0" * 64},
        lambda f: {k: v for k, v in f.items() if k != "hash"},
        lambda f: {**f, "auth_date": str(int(f["auth_date"]) + 10)},
    ],
)
def test_a_changed_field_or_a_missing_hash_is_refused(tamper):
    fields = dict(parse_qsl(sign(3001, TOKEN, now=NOW)))
    with pytest.raises(InitDataRejected):
        verify(urlencode(tamper(fields)), TOKEN, now=NOW, max_age=HOUR)


def test_another_bots_signature_is_refused():
    with pytest.raises(InitDataRejected):
        verify(sign(3001, "999:OTHER", now=NOW), TOKEN, now=NOW, max_age=HOUR)


def test_old_launch_data_cannot_be_replayed():
    issued = sign(3001, TOKEN, now=NOW)
    assert verify(issued, TOKEN, now=NOW + HOUR, max_age=HOUR).telegram_id == 3001
    with pytest.raises(InitDataRejected):
        verify(issued, TOKEN, now=NOW + HOUR + timedelta(seconds=1), max_age=HOUR)
    with pytest.raises(InitDataRejected):
        verify(issued, TOKEN, now=NOW - timedelta(minutes=5), max_age=HOUR)


@pytest.mark.parametrize("junk", ["", "hash", "a=1&a=2", "%%%", "x" * 5000, "user=&hash=abc"])
def test_junk_is_refused_not_crashed_on(junk):
    with pytest.raises(InitDataRejected):
        verify(junk, TOKEN, now=NOW, max_age=HOUR)
