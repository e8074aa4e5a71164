"""The Squid helper's core: request lines in, squidGuard-style answers out. No I/O.

Decisions map to answers as squidGuard's do: allowed → ``ERR`` (leave it alone), blocked →
``OK status=302 url="..."`` (or ``OK rewrite-url="..."`` when the policy's redirect has no
status), safe search → ``OK rewrite-url="..."``. As an external ACL: allowed → ``OK``,
blocked → ``ERR`` with the block page in ``message=`` and the category in ``tag=``.

Squid sends the same few thousand sites over and over, so the helper remembers, per group
and per authority (``host`` or ``host:port``), a decision that cannot depend on the rest of the
URL (`Policy.host_verdict`), with its event-log fragment already written. A remembered answer
costs a handful of string operations; everything else takes the full path through
`Policy.decide`. The memory is emptied when a new policy is loaded and, for policies with
schedules, when the minute changes.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import datetime
from urllib.parse import urlencode

from safeschool.engine import (
    ALLOW,
    BLOCK,
    REWRITE,
    Decision,
    Policy,
    PolicyHolder,
    extract_search_terms,
)
from safeschool.engine.model import Group
from safeschool.engine.normalise import authority_host, split_authority
from safeschool.engine.policy import HostVerdict, compile_redirect, fill_compiled
from safeschool.engine.searchterms import search_params, terms_in
from safeschool.eventlog import Encoded, Event, Sink, json_text

from . import squidproto as proto

# A block of lines that is ASCII with no quotes, backslashes or control characters (other than
# the newlines between lines) can be answered and logged without escaping anything. Deleting
# every such byte and finding nothing left is the quickest test.
_PLAIN_BYTES = (
    bytes(
        b
        for b in range(0x20, 0x7F)
        if b not in (0x22, 0x5C)  # all printable ASCII but " and \
    )
    + b"\n"
)
_PLAIN_TEXT = re.compile(r'[^"\\\x00-\x1f\x7f\ud800-\udfff]*')
_SCHEMES = frozenset({"http:", "https:", "ftp:"})
_MEMO_LIMIT = 50_000  # authorities per group
_CLIENT_LIMIT = 20_000  # (client, user) pairs


class _Memo:
    """What one group's requests to one authority get: answer body parts and log fragment."""

    __slots__ = (
        "allowed",
        "body",
        "fragment",
        "group",
        "params",
        "pattern",
        "rewrite_fragment",
        "rewrites",
        "slow",
        "status",
    )

    def __init__(
        self,
        verdict: HostVerdict,
        params: tuple[str, ...] | None = None,
        external_acl: bool = False,
        slow: bool = False,
    ) -> None:
        self.slow = slow
        """True when requests to this authority must each take the full path."""
        decision = verdict.decision
        self.allowed = decision.action == ALLOW
        self.group = decision.group or ""
        self.rewrites = verdict.rewrites
        self.fragment = _fragment(decision)
        self.rewrite_fragment = _fragment(Decision(REWRITE, None, decision.group, "rewrite"))
        self.params = params
        """The search parameters of the site, when its URLs can carry search terms."""
        self.status: int | None = None
        self.pattern = ""
        self.body = ""
        if self.allowed:
            self.body = "OK" if external_acl else "ERR"
        elif verdict.template is not None:
            self.status, self.pattern = compile_redirect(
                verdict.template, decision.group or "", decision.category or ""
            )


def _json_string(text: str) -> str:
    """A JSON string; most search terms need no escaping at all."""
    if _PLAIN_TEXT.fullmatch(text):
        return f'"{text}"'
    return json_text(text).decode()


def _redirect_body(url: str, status: int | None) -> str:
    return proto.redirect(url, status) if status else proto.rewrite(url)


def _fragment(decision: Decision) -> str:
    """The end of a logged event: the decision's fields as JSON, closing the object."""
    return (
        f'"action":{json_text(decision.action).decode()},'
        f'"category":{json_text(decision.category).decode()},'
        f'"group":{json_text(decision.group).decode()},'
        f'"rule":{json_text(decision.rule).decode()}'
    )


_Client = tuple[dict[str, _Memo], str, str, Group, str | None]
"""What is known of one (client, user) pair: its group's remembered answers, the address and
user name as JSON, the group, and the address."""


class SquidHelper:
    """Answers Squid's requests from the policy in force, and logs the decisions."""

    def __init__(
        self,
        holder: PolicyHolder,
        events: Sink,
        *,
        external_acl: bool = False,
        block_url: str = "http://127.0.0.1:8000/blocked",
        log_allowed: bool = True,
        clock: Callable[[], datetime] = datetime.now,
    ) -> None:
        self.holder = holder
        self.events = events
        self.external_acl = external_acl
        self.block_url = block_url
        self.log_allowed = log_allowed
        self.clock = clock
        """Local time now; schedules are judged by it (tests pin it)."""
        self._policy: Policy | None = None
        self._minute = -1
        self._clients: dict[tuple[str, str], _Client] = {}
        self._groups: dict[str, dict[str, _Memo]] = {}
        self._kinds: dict[tuple[int, tuple[str, ...] | None], _Memo] = {}

    def answer_block(self, block: bytes) -> bytes:
        """The reply lines for a block of complete request lines (each ending in a newline)."""
        policy = self.holder.policy
        if policy is None or self.external_acl or block.translate(None, _PLAIN_BYTES):
            return b"".join(self.answer(line.rstrip(b"\r")) for line in block.split(b"\n")[:-1])
        self._refresh(policy)
        clients, slow = self._clients, self._slow
        log_allowed, schemes, max_line = self.log_allowed, _SCHEMES, proto.MAX_LINE
        stamp = f'{{"t":{time.time():.6f},"src":"squid","client":'
        out: list[str] = []
        logged: list[Event | Encoded] = []
        for line in block.decode("ascii").split("\n")[:-1]:
            # Squid separates tokens with single spaces; anything else takes the full path.
            tokens = line.split(" ", 4)
            first = 1 if tokens[0].isdigit() else 0
            if len(tokens) < first + 3 or len(line) > max_line:
                out.append(slow(line, logged))
                continue
            url, client, user = tokens[first], tokens[first + 1], tokens[first + 2]
            if not client or not user:
                out.append(slow(line, logged))
                continue
            parts = url.split("/", 3)
            if len(parts) == 1:
                authority = url
            elif len(parts) > 2 and parts[0] in schemes and not parts[1]:
                authority = parts[2]
            else:
                authority = ""
            known = clients.get((client, user))
            if known is None:
                known = self._client(policy, client, user)
            memo = known[0].get(authority)
            if memo is None:
                memo = self._remember(policy, known, authority, url)
            if memo.slow:
                out.append(slow(line, logged))
                continue
            fragment = memo.fragment
            terms = None
            if memo.params is not None and "?" in url:
                terms = terms_in("/" + parts[3] if len(parts) == 4 else "", memo.params)
            if memo.allowed:
                body = memo.body
                if memo.rewrites:
                    changed = policy.rewritten(memo.rewrites, url, memo.group)
                    if changed is not None:
                        body = _redirect_body(changed.redirect or "", changed.status)
                        fragment = memo.rewrite_fragment
                if terms is None and not log_allowed and body is memo.body:
                    fragment = ""  # a plain allowed request, and those are not logged
            else:
                body = _redirect_body(fill_compiled(memo.pattern, url, known[4], user), memo.status)
            if terms is not None:
                fragment = f'{fragment},"terms":{_json_string(terms)}'
            out.append(f"{tokens[0]} {body}\n" if first else f"{body}\n")
            if fragment:
                logged.append(f'{stamp}{known[1]},"user":{known[2]},"url":"{url}",{fragment}}}')
        if logged:
            self.events.extend(logged)
        return "".join(out).encode()

    def _slow(self, line: str, logged: list[Event | Encoded]) -> str:
        """The full path for one line, after the events logged before it (kept in order)."""
        if logged:
            self.events.extend(logged)
            logged.clear()
        return self.answer(line.encode()).decode()

    def _refresh(self, policy: Policy) -> None:
        """Forget remembered answers after a new policy, or a new minute when times matter."""
        if policy.timed:
            now = self.clock()
            minute = now.toordinal() * 1440 + now.hour * 60 + now.minute
        else:
            minute = 0
        if policy is not self._policy or minute != self._minute:
            self._policy, self._minute = policy, minute
            self._clients.clear()
            self._groups.clear()
            self._kinds.clear()

    def _client(self, policy: Policy, client: str, user: str) -> _Client:
        address = proto.token_value(client.partition("/")[0])
        name = proto.token_value(user)
        group = policy.group_for(address, name, self.clock() if policy.timed else None)
        memos = self._groups.setdefault(group.name, {})
        known = (memos, json_text(address).decode(), json_text(name).decode(), group, address)
        if len(self._clients) >= _CLIENT_LIMIT:
            self._clients.clear()
        self._clients[(client, user)] = known
        return known

    def _remember(self, policy: Policy, known: _Client, authority: str, url: str) -> _Memo:
        """Work out (and keep) what this group's requests to this authority get."""
        memo = _SLOW
        if authority and split_authority(url)[1] == authority and proto.usable_url(url):
            host = authority_host(authority)
            when = self.clock() if policy.timed else None
            verdict = policy.host_verdict(host, known[3], when)
            if verdict is not None and (verdict.template or verdict.decision.action == ALLOW):
                memo = self._memo(verdict, host)
        memos = known[0]
        if len(memos) >= _MEMO_LIMIT:
            memos.clear()
        memos[authority] = memo
        return memo

    def _memo(self, verdict: HostVerdict, host: str) -> _Memo:
        """One shared _Memo per distinct answer (there are few), not one per site."""
        params = search_params(host)
        key = (id(verdict), params)
        memo = self._kinds.get(key)
        if memo is None:
            memo = self._kinds[key] = _Memo(verdict, params, self.external_acl)
        return memo

    def answer(self, raw: bytes) -> bytes:
        """The reply line for one request line (without its newline). Never raises."""
        try:
            request = proto.parse_request(raw, escaped=self.external_acl)
        except proto.BadLineError as exc:
            return proto.reply(exc.channel, proto.broken(str(exc)))
        try:
            body = self._decide(request)
        except Exception as exc:  # a helper must answer every line, whatever went wrong
            body = proto.broken(f"internal error: {type(exc).__name__}")
        return proto.reply(request.channel, body)

    def _decide(self, request: proto.Request) -> str:
        policy = self.holder.policy
        if policy is None:
            return proto.broken("no policy loaded")
        decision = policy.decide(
            request.url, request.client, request.user, self.clock() if policy.timed else None
        )
        self._log(request, decision)
        if self.external_acl:
            return self._acl_body(request, decision)
        if decision.action == BLOCK:
            url, status = self._block_target(request, decision)
            return proto.redirect(url, status) if status else proto.rewrite(url)
        if decision.action != ALLOW and decision.redirect:
            if decision.status:
                return proto.redirect(decision.redirect, decision.status)
            return proto.rewrite(decision.redirect)
        return "ERR"

    def _acl_body(self, request: proto.Request, decision: Decision) -> str:
        if decision.action != BLOCK:
            return "OK" if decision.action == ALLOW else "OK tag=safe-search"
        url, _ = self._block_target(request, decision)
        tag = proto.quote_value(decision.category or "blocked")
        return f'ERR message="{proto.quote_value(url)}" tag={tag} log={tag}'

    def _block_target(self, request: proto.Request, decision: Decision) -> tuple[str, int | None]:
        """The policy's block page, else the configured one with the reasons in its query."""
        if decision.redirect:
            return decision.redirect, decision.status
        query = urlencode(
            {
                "url": request.url,
                "category": decision.category or "",
                "rule": decision.rule,
                "group": decision.group or "",
            }
        )
        return f"{self.block_url}?{query}", 302

    def _log(self, request: proto.Request, decision: Decision) -> None:
        terms = extract_search_terms(request.url) if "?" in request.url else None
        if decision.action == ALLOW and terms is None and not self.log_allowed:
            return
        event = {
            "t": time.time(),
            "src": "squid",
            "client": request.client,
            "user": request.user,
            "url": request.url,
            "action": decision.action,
            "category": decision.category,
            "group": decision.group,
            "rule": decision.rule,
        }
        if terms is not None:
            event["terms"] = terms
        self.events.append(event)


_SLOW = _Memo(HostVerdict(Decision(ALLOW, None, None, "default"), None, ()), slow=True)
