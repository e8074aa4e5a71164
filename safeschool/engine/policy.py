"""The Policy: one loaded set of lists, groups and rules, and the decision for each request."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from datetime import datetime

from .builder import ILLEGAL, Indexes, LabelStats
from .decision import ALLOW, BLOCK, REWRITE, Decision, make_decision
from .lists import Problems
from .model import ALL, IN_ADDR, LABEL, NONE, Group, Item, Rewrite, RuleSet, parse_address
from .normalise import Target, is_ip_address, normalise_host, split_parts, stripped_host, url_key
from .safesearch import dns_cname, engine_for, proxy_rewrite

SQUIDGUARD = "squidguard"
SAFESCHOOL = "safeschool"
_STATUS_PREFIX = re.compile(r"(30[12378]):(.*)", re.S)
_GROUP_CACHE_LIMIT = 65536
_MASK_CACHE_LIMIT = 65536  # hosts; about 6 MB when full
_NO_TEXT = ""


@dataclass(frozen=True, slots=True)
class HostVerdict:
    """A decision that holds for every path and query on one authority (see host_verdict)."""

    decision: Decision
    template: str | None
    """For a block: the block page, with squidGuard's ``%`` fields still to fill in."""
    rewrites: tuple[Rewrite, ...]
    """For an allowed request: squidGuard ``rew`` rules still to try on the whole URL."""


@dataclass
class PolicyInfo:
    """Where a policy came from and what it holds (for check-config and the web app)."""

    source: str
    kind: str
    """``snapshot`` or ``squidguard``."""
    version: int | None = None
    stats: dict[str, LabelStats] = field(default_factory=dict)
    problems: Problems = field(default_factory=Problems)


class Policy:
    """A loaded, read-only policy. Safe to share between threads; cheap to replace whole."""

    def __init__(
        self,
        indexes: Indexes,
        groups: list[Group],
        fallback: Group,
        *,
        identity: str,
        info: PolicyInfo,
        illegal_redirect: str | None = None,
        default_redirect: str | None = None,
    ) -> None:
        self.groups = groups
        self.fallback = fallback
        self.identity = identity
        self.info = info
        self._table = indexes.table
        self._urls = indexes.urls
        self._illegal_regex = indexes.expressions.get(ILLEGAL)
        self._needs_key = bool(indexes.urls or indexes.expressions)
        self._illegal_redirect = illegal_redirect
        self._default_redirect = default_redirect
        self._timed = _uses_time([*groups, fallback])
        self._group_cache: dict[tuple[str | None, str | None], tuple[Group, ...]] = {}
        self._decisions: dict[tuple[str, str, str | None, str], Decision] = {}
        self._verdicts: dict[tuple[int, str | None, int], HostVerdict] = {}
        self._mask_cache: dict[str, int] = {}

    @property
    def timed(self) -> bool:
        """True when some group or rule depends on the time (decisions may change each minute)."""
        return self._timed

    def decide(
        self,
        url_or_host: str,
        client_ip: str | None = None,
        user: str | None = None,
        when: datetime | None = None,
    ) -> Decision:
        """Decide one proxy request.

        Args:
            url_or_host: a URL (``http://host/path``), a CONNECT target (``host:443``) or a
                bare host name, exactly as the proxy saw it.
            client_ip: the client's address, or None (``-``) when unknown.
            user: the authenticated user name, or None (``-``) when unknown.
            when: the moment to judge time-dependent rules at; naive times are local time,
                aware ones are converted to local time. Defaults to now.

        Returns:
            A Decision. Rule order: the illegal-content layer (never overridable), then the
            group's allow-list, deny-list and categories as its schedule says at ``when``,
            then safe search, then the group's default.
        """
        host, path, scheme = split_parts(url_or_host)
        return self._decide(url_or_host, host, path, scheme, client_ip, user, when, False)

    def decide_dns(
        self, qname: str, client_ip: str | None = None, when: datetime | None = None
    ) -> Decision:
        """Decide a DNS query for ``qname`` (a host name, trailing dot allowed).

        Only host-level entries apply (domain lists, and URL-list entries without a path);
        expressions are matched against the host name. When safe search applies the decision
        is ``rewrite`` with ``cname`` set to the name to answer with, for example
        ``forcesafesearch.google.com``.
        """
        return self._decide(
            qname, normalise_host(qname), _NO_TEXT, _NO_TEXT, client_ip, None, when, True
        )

    def _host_mask(self, host: str) -> int:
        """Label bits of the host's domain entries, through a bounded cache."""
        found = self._mask_cache.get(host)
        if found is None:
            found = self._lookup_mask(host)
            if len(self._mask_cache) >= _MASK_CACHE_LIMIT:
                self._mask_cache.clear()
            self._mask_cache[host] = found
        return found

    def _lookup_mask(self, host: str) -> int:
        """Label bits of the host's domain entries (an IP address only as itself)."""
        table = self._table
        return table.exact_mask(host) if is_ip_address(host) else table.mask(host)

    def _decide(
        self,
        url: str,
        host: str,
        path: str,
        scheme: str,
        client_ip: str | None,
        user: str | None,
        when: datetime | None,
        dns: bool,
    ) -> Decision:
        mask = self._host_mask(host)
        key = url_key(host, path) if self._needs_key else host
        if self._urls:
            mask |= self._url_mask(host, key)
        now = _local(when) if when is not None else (datetime.now() if self._timed else None)
        group = self.group_for(client_ip, user, now)
        if mask & 1 or (self._illegal_regex is not None and self._illegal_regex.search(key)):
            return self._block(
                ILLEGAL, "illegal", self._illegal_redirect, url, client_ip, user, group.name
            )
        rules = group.rules_at(now)
        item = _first_match(rules, mask, key, host, now)
        if item is not None:
            if not item.allow:
                template = item.redirect or rules.redirect or self._default_redirect
                return self._block(item.name, item.rule, template, url, client_ip, user, group.name)
            if rules.plain:
                return self._cached(
                    ALLOW,
                    group.name,
                    item.name if item.kind == LABEL else None,
                    item.rule if item.kind == LABEL else "default",
                )
            return self._allowed(item, rules, group, url, Target(host, path, scheme), dns)
        if not rules.default_allow:
            redirect = rules.redirect or self._default_redirect
            return self._block(NONE, "default", redirect, url, client_ip, user, group.name)
        if rules.plain:
            return self._cached(ALLOW, group.name, None, "default")
        return self._allowed(None, rules, group, url, Target(host, path, scheme), dns)

    def host_verdict(self, host: str, group: Group, when: datetime | None) -> HostVerdict | None:
        """The decision for every proxy request to ``host`` by ``group``, when there is one.

        For a daemon's memory of recent answers: the decision the group's rules at ``when``
        give to any request to this (normalised) host, whatever its scheme, port, path and
        query, or None when the rest of the URL could matter (URL-list entries for the host,
        expressions, the illegal layer's expressions, safe search for a search engine host).
        A block's ``decision.redirect`` is left empty: fill it in per request from
        `HostVerdict.template` (see `compile_redirect`). For an allowed request the squidGuard
        ``rew`` rules in `HostVerdict.rewrites` must still be tried, in order. Proxy requests
        only: DNS decisions differ for safe search.
        """
        if self._illegal_regex is not None:
            return None
        if self._urls and (host in self._urls or stripped_host(host) in self._urls):
            return None
        now = _local(when) if when is not None else (datetime.now() if self._timed else None)
        rules = group.rules_at(now)
        if rules.expressions or (
            rules.safe_search.enabled and engine_for(host, rules.safe_search) is not None
        ):
            return None
        mask = self._lookup_mask(host)  # not through the host cache: callers keep the verdict
        if mask & 1:
            decision = self._cached(BLOCK, group.name, ILLEGAL, "illegal")
            return self._verdict(decision, self._illegal_redirect, ())
        item = _first_match(rules, mask, host, host, now)
        if item is not None and not item.allow:
            template = item.redirect or rules.redirect or self._default_redirect
            decision = self._cached(BLOCK, group.name, item.name, item.rule)
            return self._verdict(decision, template, ())
        if item is None and not rules.default_allow:
            template = rules.redirect or self._default_redirect
            return self._verdict(self._cached(BLOCK, group.name, NONE, "default"), template, ())
        if item is not None and item.kind == LABEL:
            decision = self._cached(ALLOW, group.name, item.name, item.rule)
        else:
            decision = self._cached(ALLOW, group.name, None, "default")
        return self._verdict(decision, None, rules.rewrites)

    def _verdict(
        self, decision: Decision, template: str | None, rewrites: tuple[Rewrite, ...]
    ) -> HostVerdict:
        """One shared HostVerdict per distinct outcome (there are few)."""
        key = (id(decision), template, id(rewrites))
        found = self._verdicts.get(key)
        if found is None:
            found = self._verdicts[key] = HostVerdict(decision, template, rewrites)
        return found

    def rewritten(self, rewrites: tuple[Rewrite, ...], url: str, group: str) -> Decision | None:
        """The first squidGuard ``rew`` rule that changes ``url``, as a decision; else None."""
        for rewrite in rewrites:
            # Most URLs match no rule: a search is cheaper than a substitution that finds nothing.
            if rewrite.pattern.search(url) is not None:
                new_url = rewrite.pattern.sub(rewrite.replacement, url, count=1)
                if new_url != url:
                    return Decision(REWRITE, None, group, "rewrite", new_url, rewrite.status)
        return None

    def _url_mask(self, host: str, key: str) -> int:
        """Bits of URL-list entries (host, path prefix) matching the request."""
        found = 0
        rest = key[len(host) :]
        for name in (host, stripped_host(host)):
            entries = self._urls.get(name) if name else None
            if entries:
                for prefix, bit in entries:
                    if rest.startswith(prefix):
                        found |= bit
        return found

    def _allowed(
        self,
        item: Item | None,
        rules: RuleSet,
        group: Group,
        url: str,
        target: Target,
        dns: bool,
    ) -> Decision:
        """An allowed request, after squidGuard ``rew`` rules and safe search."""
        if dns and rules.safe_search.enabled:
            found = dns_cname(target.host, rules.safe_search)
            if found:
                return Decision(
                    REWRITE, f"safe-search:{found[1]}", group.name, "safe-search", cname=found[0]
                )
        elif not dns:
            changed = self._rewritten(rules, group, url, target)
            if changed is not None:
                return changed
        category = item.name if item is not None and item.kind == LABEL else None
        rule = item.rule if item is not None and item.kind == LABEL else "default"
        return self._cached(ALLOW, group.name, category, rule)

    def _rewritten(self, rules: RuleSet, group: Group, url: str, target: Target) -> Decision | None:
        changed = self.rewritten(rules.rewrites, url, group.name) if rules.rewrites else None
        if changed is not None:
            return changed
        if rules.safe_search.enabled:
            found = proxy_rewrite(target, url, rules.safe_search)
            if found is not None:
                safe_url, header, engine = found
                action = REWRITE if safe_url is not None else ALLOW
                return Decision(
                    action,
                    f"safe-search:{engine}",
                    group.name,
                    "safe-search",
                    safe_url,
                    header=header,
                )
        return None

    def _cached(self, action: str, group: str, category: str | None, rule: str) -> Decision:
        key = (action, group, category, rule)
        found = self._decisions.get(key)
        if found is None:
            found = self._decisions[key] = Decision(action, category, group, rule)
        return found

    def _block(
        self,
        category: str,
        rule: str,
        template: str | None,
        url: str,
        client_ip: str | None,
        user: str | None,
        group: str,
    ) -> Decision:
        if template is None:
            return self._cached(BLOCK, group, category, rule)
        redirect, status = fill_redirect(template, url, client_ip, user, group, category)
        return make_decision(BLOCK, category, group, rule, redirect, status)

    def group_for(
        self, client_ip: str | None, user: str | None, when: datetime | None = None
    ) -> Group:
        """The group whose rules apply to this client and user at ``when``.

        squidGuard configurations follow squidGuard: the first ``src`` (in file order) whose
        address ranges and user names all match, else ``default``. Snapshots match by user
        name where known, else by address range, else the most restrictive group.
        """
        key = (client_ip, user)
        candidates = self._group_cache.get(key)
        if candidates is None:
            candidates = self._candidates(client_ip, user)
            if len(self._group_cache) >= _GROUP_CACHE_LIMIT:
                self._group_cache.clear()
            self._group_cache[key] = candidates
        for group in candidates:
            if group.when is None or (when is not None and group.when.holds(when)):
                return group
        return self.fallback

    def _candidates(self, client_ip: str | None, user: str | None) -> tuple[Group, ...]:
        address = parse_address(client_ip)
        name = None if user in (None, "", "-") else user
        if self.identity == SQUIDGUARD:
            return tuple(
                g
                for g in self.groups
                if (g.networks or g.users)
                and (not g.networks or g.has_address(address))
                and (not g.users or name in g.users)
            )
        lowered = name.lower() if name else None
        by_user = [g for g in self.groups if lowered is not None and lowered in g.users]
        return tuple(by_user + [g for g in self.groups if g.has_address(address)])


def _first_match(
    rules: RuleSet, mask: int, key: str, host: str, now: datetime | None
) -> Item | None:
    """The first item of the rule list that matches the request, or None when none does."""
    for item in rules.items:
        if item.when is not None and (now is None or not item.when.holds(now)):
            continue
        if item.kind == LABEL:
            if not (
                (mask & item.bit and not mask & item.unless)
                or (item.regex is not None and item.regex.search(key))
            ):
                continue
        elif item.kind == IN_ADDR and not is_ip_address(host):
            continue
        return item
    return None


def fill_redirect(
    template: str, url: str, client_ip: str | None, user: str | None, group: str, category: str
) -> tuple[str, int | None]:
    """Fill squidGuard's ``%a %n %i %s %t %u`` into a redirect; split off a ``302:`` prefix."""
    status, pattern = compile_redirect(template, group, category)
    return fill_compiled(pattern, url, client_ip, user), status


_FIELDS = frozenset("anistu")


@functools.lru_cache(maxsize=4096)
def compile_redirect(template: str, group: str, category: str) -> tuple[int | None, str]:
    """``(status, pattern)`` for `fill_compiled`: the template with ``%s %t %n`` filled in.

    Worked out once per template, group and category; `fill_compiled` then needs only the
    request's own values (``%a %i %u``).
    """
    status, parts = _parsed_template(template)
    fixed = {"n": "", "s": group, "t": category}
    out = [_literal(parts[0])]
    for part in parts[1:]:
        code = part[:1]
        if code in fixed:
            out += (_literal(fixed[code]), _literal(part[1:]))
        elif code in _FIELDS:
            out += ("{", code, "}", _literal(part[1:]))
        else:
            out += ("%", _literal(part))
    return status, "".join(out)


def _literal(text: str) -> str:
    """Text that `str.format` gives back as it is."""
    return text.replace("{", "{{").replace("}", "}}")


def fill_compiled(pattern: str, url: str, client_ip: str | None, user: str | None) -> str:
    """A block page from `compile_redirect`'s pattern and the request's own values."""
    return pattern.format(a=client_ip or "", i="" if user in (None, "-") else user, u=url)


@functools.lru_cache(maxsize=256)
def _parsed_template(template: str) -> tuple[int | None, tuple[str, ...]]:
    """(status, pieces split at each ``%``), computed once per template."""
    status = None
    found = _STATUS_PREFIX.fullmatch(template)
    if found:
        status, template = int(found.group(1)), found.group(2)
    return status, tuple(template.split("%"))


def _local(when: datetime) -> datetime:
    """Naive datetimes are local already; aware ones are converted to local time."""
    return when if when.tzinfo is None else when.astimezone().replace(tzinfo=None)


def _uses_time(groups: list[Group]) -> bool:
    for group in groups:
        if group.when is not None:
            return True
        for variant in group.variants:
            if variant.when is not None or any(i.when for i in variant.rules.items):
                return True
    return False


__all__ = [
    "ALL",
    "SAFESCHOOL",
    "SQUIDGUARD",
    "HostVerdict",
    "Policy",
    "PolicyInfo",
    "compile_redirect",
    "fill_compiled",
    "fill_redirect",
]
