"""The one rate limiter (opsmerge.ratelimit): fixed windows in Redis, hashed keys, fail-open."""

import logging

import pytest
import redis

from opsmerge import ratelimit


def test_hit_refuses_the_event_over_the_limit_with_the_time_left_in_the_window():
    limit = ratelimit.Limit("test-hit", 2, 120)
    ratelimit.hit(limit, "a")
    ratelimit.hit(limit, "a")
    with pytest.raises(ratelimit.Blocked) as blocked:
        ratelimit.hit(limit, "a")
    assert 0 < blocked.value.retry_after_seconds <= 120 and blocked.value.minutes == 2
    ratelimit.hit(limit, "b")  # per identity


def test_check_counts_nothing_and_record_reports_the_limit_used_up():
    limit = ratelimit.Limit("test-record", 2, 60)
    ratelimit.check([(limit, "x")])
    assert ratelimit.record([(limit, "x")]) == []
    assert ratelimit.record([(limit, "x")]) == [limit]
    with pytest.raises(ratelimit.Blocked):
        ratelimit.check([(limit, "x")])
    ratelimit.reset([(limit, "x")])
    ratelimit.check([(limit, "x")])


def test_keys_hold_a_hash_never_the_raw_identity():
    limit = ratelimit.Limit("test-key", 1, 60)
    ratelimit.hit(limit, "Pat@Acme.example")
    keys = [k.decode() for k in ratelimit._redis().scan_iter(match="*:ratelimit:test-key:*")]
    assert keys == [limit.key("pat@acme.example")]
    assert "acme" not in keys[0].lower()


def test_redis_down_lets_events_through_and_logs_an_error(monkeypatch, caplog):
    monkeypatch.setattr(ratelimit, "_client", redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2))
    limit = ratelimit.Limit("test-down", 1, 60)
    with caplog.at_level(logging.ERROR, logger="opsmerge.ratelimit"):
        for _ in range(3):
            ratelimit.hit(limit, "a")
        ratelimit.check([(limit, "a")])
        assert ratelimit.record([(limit, "a")]) == []
    assert len([r for r in caplog.records if "Redis unavailable" in r.message]) == 5
