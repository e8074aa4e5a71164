"""The compiled, read-only pieces a Policy is made of: groups, rule sets and rule items.

Both loaders (policy snapshots and squidGuard.conf) build these; Policy.decide walks them.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field, replace
from datetime import datetime

from .builder import Indexes, Matcher
from .timespec import TimeSpec

LABEL = "label"
IN_ADDR = "in-addr"
ALL = "all"
NONE = "none"


@dataclass(frozen=True)
class TimeCondition:
    """A time space a rule depends on: in force within it, or (``outside``) outside it."""

    spec: TimeSpec
    outside: bool = False

    def holds(self, when: datetime) -> bool:
        """True when the rule is in force at ``when``."""
        return self.spec.active(when) != self.outside


@dataclass(frozen=True)
class Item:
    """One entry of a rule list: when it matches, the request is allowed or blocked."""

    kind: str
    """``label`` (a category or list), ``in-addr`` (IP-address URLs), ``all`` or ``none``."""
    allow: bool
    name: str
    """Category reported in the decision (``adult``, ``allow-list``, ``none``...)."""
    rule: str
    """Rule-order step reported in the decision (``category``, ``deny-list``...)."""
    bit: int = 0
    """Bit mask of the label in the policy's domain table and URL index."""
    regex: Matcher | None = None
    """The label's expressions, joined into one pattern."""
    unless: int = 0
    """Bit mask of exceptions (adblock ``@@`` rules) that cancel a match."""
    when: TimeCondition | None = None
    redirect: str | None = None
    label: str = ""
    """Internal name of the label in the policy's indexes (``cat:adult``)."""


@dataclass(frozen=True)
class Rewrite:
    """A squidGuard ``rew`` rule: ``s@pattern@replacement@flags``."""

    pattern: re.Pattern[str]
    replacement: str
    status: int | None = None


@dataclass(frozen=True)
class SafeSearch:
    """Which search engines a group is forced into safe mode on."""

    google: bool = False
    bing: bool = False
    duckduckgo: bool = False
    youtube: str = "off"
    """``off``, ``moderate`` or ``strict``."""

    @property
    def enabled(self) -> bool:
        """True when any engine is forced into safe mode."""
        return self.google or self.bing or self.duckduckgo or self.youtube != "off"


@dataclass(frozen=True)
class RuleSet:
    """The rule list a group follows at one time, with what happens when nothing matches."""

    items: tuple[Item, ...]
    default_allow: bool = True
    redirect: str | None = None
    rewrites: tuple[Rewrite, ...] = ()
    safe_search: SafeSearch = SafeSearch()
    plain: bool = field(init=False, default=True)
    """True when allowed requests need no rewriting (no ``rew`` rules, no safe search)."""
    expressions: bool = field(init=False, default=False)
    """True when some item matches by expression (on the whole URL, not only the host)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "plain", not self.rewrites and not self.safe_search.enabled)
        object.__setattr__(self, "expressions", any(i.regex is not None for i in self.items))


@dataclass(frozen=True)
class Variant:
    """A rule set in force within (or outside) a time space; ``when=None`` is the fallback."""

    rules: RuleSet
    when: TimeCondition | None = None


@dataclass
class Group:
    """A set of clients (address ranges, user names) and the rules they follow."""

    name: str
    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    users: frozenset[str] = frozenset()
    when: TimeCondition | None = None
    """squidGuard ``src ... within``: the group only applies in this time space."""
    variants: list[Variant] = field(default_factory=list)
    restrictiveness: int = 0

    def has_address(self, address: ipaddress.IPv4Address | ipaddress.IPv6Address | None) -> bool:
        """True when the address is in one of the group's ranges."""
        return address is not None and any(address in net for net in self.networks)

    def rules_at(self, when: datetime | None) -> RuleSet:
        """The rule set in force at ``when``."""
        for variant in self.variants:
            if variant.when is None or (when is not None and variant.when.holds(when)):
                return variant.rules
        return RuleSet(items=())


def parse_address(text: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """Parse a client address; None for absent or unreadable ones (``-`` from Squid)."""
    if not text or text == "-":
        return None
    try:
        return ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None


def parse_networks(text: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """Parse ``10.0.0.0/8``, ``10.0.0.0/255.0.0.0``, ``10.0.0.1-10.0.0.9`` or one address."""
    if "-" in text:
        first_text, _, last_text = text.partition("-")
        first, last = ipaddress.ip_address(first_text), ipaddress.ip_address(last_text)
        if first.version != last.version or int(last) < int(first):
            raise ValueError(f"impossible address range {text!r}")
        return list(ipaddress.summarize_address_range(first, last))
    return [ipaddress.ip_network(text, strict=False)]


def bind_variants(variants: list[Variant], indexes: Indexes) -> list[Variant]:
    """Fill in each label item's bit, exceptions and expressions from the built indexes."""
    return [Variant(_bind_rules(v.rules, indexes), v.when) for v in variants]


def _bind_rules(rules: RuleSet, indexes: Indexes) -> RuleSet:
    items = tuple(
        replace(
            item,
            bit=indexes.bits.get(item.label, 0),
            unless=indexes.bits.get(f"{item.label}!except", 0),
            regex=indexes.expressions.get(item.label),
        )
        if item.kind == LABEL
        else item
        for item in rules.items
    )
    return replace(rules, items=items)
