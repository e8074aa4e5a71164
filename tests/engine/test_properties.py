"""Property tests: nothing can make an illegal-layer entry pass."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from safeschool.engine import parse_snapshot

ILLEGAL = ["abuse-example.invalid", "bad.host-example.invalid"]
LABEL = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)


def _policy(allow: list[str], default: str, names: list[str], users: list[str]) -> Any:
    return parse_snapshot(
        {
            "format": "safeschool-policy",
            "version": 1,
            "illegal": {"domains": ILLEGAL, "urls": ["host-example.invalid/illegal"]},
            "allow": allow,
            "categories": {"c": {"domains": ILLEGAL}},
            "groups": [
                {
                    "name": n,
                    "addresses": ["0.0.0.0/0"],
                    "users": users,
                    "allow": allow,
                    "categories": [{"name": "c", "action": "allow"}],
                    "default": default,
                    "safe_search": {"google": True},
                }
                for n in names
            ],
        }
    )


@settings(max_examples=150, deadline=None)
@given(
    sub=st.lists(LABEL, max_size=3),
    target=st.sampled_from([*ILLEGAL, "host-example.invalid/illegal"]),
    upper=st.booleans(),
    trailing_dot=st.booleans(),
    scheme=st.sampled_from(["http://", "https://", "", "ftp://"]),
    port=st.sampled_from(["", ":80", ":443", ":8080"]),
    userinfo=st.sampled_from(["", "user@", "a:b@"]),
    suffix=st.text(alphabet="abc/?=&#%.", max_size=12),
    client=st.one_of(st.none(), st.ip_addresses().map(str)),
    user=st.one_of(st.none(), st.sampled_from(["-", "alice", "ADMIN"])),
    hour=st.integers(0, 23),
    default=st.sampled_from(["allow", "block"]),
)
def test_illegal_entries_never_pass(
    sub: list[str],
    target: str,
    upper: bool,
    trailing_dot: bool,
    scheme: str,
    port: str,
    userinfo: str,
    suffix: str,
    client: str | None,
    user: str | None,
    hour: int,
    default: str,
) -> None:
    policy = _policy(allow=ILLEGAL, default=default, names=["a", "b"], users=["alice"])
    host, slash, path = target.partition("/")
    host = ".".join([*sub, host]) if not path else host
    if upper:
        host = host.upper()
    if trailing_dot:
        host += "."
    url = f"{scheme}{userinfo if scheme else ''}{host}{port}{slash}{path}"
    if path or scheme:
        url += suffix if path else "/" + suffix
    when = datetime(2025, 3, 10, hour, 0)
    decision = policy.decide(url, client, user, when)
    assert (decision.action, decision.rule) == ("block", "illegal"), url
    if not path:
        dns = policy.decide_dns(host, client, when)
        assert (dns.action, dns.rule) == ("block", "illegal"), host


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.from_regex(r"[a-z]{1,8}\.(com|net|org)", fullmatch=True),
        min_size=1,
        max_size=50,
        unique=True,
    )
)
def test_every_listed_domain_and_its_subdomains_match_and_nothing_else(
    domains: list[str],
) -> None:
    policy = parse_snapshot(
        {
            "format": "safeschool-policy",
            "version": 1,
            "categories": {"c": {"domains": domains}},
            "groups": [{"name": "g", "categories": [{"name": "c"}]}],
        }
    )
    for domain in domains:
        assert policy.decide(f"http://{domain}/").blocked
        assert policy.decide(f"http://x.{domain}/").blocked
        if f"not{domain}" not in domains:
            assert not policy.decide(f"http://not{domain}/").blocked
