"""The Squid helper's core: a request line in, a squidGuard-style answer out. No I/O.

Decisions map to answers as squidGuard's do: allowed → ``ERR`` (leave it alone), blocked →
``OK status=302 url="..."`` (or ``OK rewrite-url="..."`` when the policy's redirect has no
status), safe search → ``OK rewrite-url="..."``. As an external ACL: allowed → ``OK``,
blocked → ``ERR`` with the block page in ``message=`` and the category in ``tag=``.
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

from safeschool.engine import ALLOW, BLOCK, Decision, PolicyHolder, extract_search_terms
from safeschool.eventlog import Sink

from . import squidproto as proto


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
    ) -> None:
        self.holder = holder
        self.events = events
        self.external_acl = external_acl
        self.block_url = block_url
        self.log_allowed = log_allowed

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
        decision = policy.decide(request.url, request.client, request.user)
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
