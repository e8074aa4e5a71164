"""The built-in filtering check (DfE standard 2: "run regular checks of what is blocked").

For each group, the test entry planted in every category the group blocks, the illegal layer's
test entry and the adult (pornography) test entry are asked of the engine, loaded from the
published snapshot, and of the running DNS filter. Every answer is kept with what was expected,
when, and who ran the check. See docs/filtering-checks.md.
"""

from __future__ import annotations

import datetime
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from safeschool.accounts.permissions import has_capability
from safeschool.accounts.roles import Capability
from safeschool.audit import services as audit
from safeschool.engine import Policy, PolicyError, load_policy
from safeschool.filtering import checks_dns
from safeschool.filtering.models import (
    CheckResult,
    CheckRun,
    FilterCategory,
    FilterGroup,
    GroupCategory,
    PolicyVersion,
)
from safeschool.filtering.snapshot import check_entry, snapshot_path
from safeschool.schools.models import School

RUN_CAPABILITIES = (
    Capability.FILTERING_CHANGE,
    Capability.FILTERING_EMERGENCY,
    Capability.FILTERING_APPROVE,
)
ADULT = FilterCategory.PORNOGRAPHY.value
ILLEGAL = "illegal"
Kind = CheckResult.Kind


@dataclass(frozen=True)
class Probe:
    """One test entry to ask about for one group, and what the school's policy expects."""

    group: str
    category: str
    kind: str
    entry: str
    expected: bool
    why: str


def may_run_checks(user: Any, school: School) -> bool:
    """Technicians, the safeguarding team and the headteacher may run the checks."""
    return any(has_capability(user, school, cap) for cap in RUN_CAPABILITIES)


# What the policy expects -------------------------------------------------------------------


def rule_in_force(rule: GroupCategory, now: datetime.datetime) -> tuple[bool, str]:
    """Whether the group's rule blocks its category at `now` (local time), and why."""
    if rule.when == GroupCategory.When.ALWAYS or rule.schedule is None:
        return True, "Blocked at all times."
    schedule = rule.schedule
    days = {d.strip() for d in schedule.days.split(",")}
    inside = (
        now.strftime("%a").lower() in days
        and schedule.start <= now.time().replace(second=0, microsecond=0) < schedule.end
    )
    blocked = inside if rule.when == GroupCategory.When.WITHIN else not inside
    place = "inside" if inside else "outside"
    return blocked, (
        f"Blocked {rule.get_when_display().lower()} {schedule}; it is now "
        f"{place} that time, so {'blocked' if blocked else 'allowed'} now."
    )


def probes_for(group: FilterGroup, now: datetime.datetime) -> list[Probe]:
    """The illegal and adult test entries, then each category the group blocks."""
    probes = [
        Probe(
            group.name,
            ILLEGAL,
            Kind.ILLEGAL,
            check_entry(ILLEGAL),
            True,
            "The illegal-content layer is blocked for everyone, always.",
        ),
        Probe(
            group.name,
            ADULT,
            Kind.ADULT,
            check_entry(ADULT),
            True,
            "The adult test entry must be blocked for every group, always.",
        ),
    ]
    for rule in group.categories.all():
        if rule.category == ADULT:
            continue  # covered by the adult test entry, which is stricter
        expected, why = rule_in_force(rule, now)
        probes.append(
            Probe(
                group.name, rule.category, Kind.CATEGORY, check_entry(rule.category), expected, why
            )
        )
    return probes


# Who to ask as -----------------------------------------------------------------------------


def first_address(group: FilterGroup) -> str | None:
    """The first usable address of the group's first range."""
    for item in group.addresses.split():
        if "-" in item:
            return item.split("-", 1)[0]
        try:
            network = ipaddress.ip_network(item, strict=False)
        except ValueError:
            continue
        first = network.network_address
        return str(first + 1 if network.num_addresses > 2 else first)
    return None


def engine_identity(
    policy: Policy, group: FilterGroup, when: datetime.datetime
) -> tuple[str | None, str | None] | str:
    """(address, user) the published policy places in the group, or why there is none."""
    users = group.usernames.split()
    address = first_address(group)
    tries: list[tuple[str | None, str | None]] = [(address, None)] if address else []
    tries += [(None, users[0])] if users else []
    placed = set()
    for client, user in [*tries, (None, None)]:
        name = policy.group_for(client, user, when).name
        if name == group.name:
            return client, user
        placed.add(name)
    if group.name not in {g.name for g in policy.groups}:
        return "This group is not in the published policy: publish the policy."
    return (
        "No address or user name of this group reaches it in the published policy "
        f"(they fall into {', '.join(sorted(placed))})."
    )


# Asking ------------------------------------------------------------------------------------


@dataclass
class Context:
    """What one run needs: the policy, the moment, and the DNS filter's state."""

    policy: Policy
    now: datetime.datetime
    server: tuple[str, int]
    blocks: frozenset[str]
    dns_down: str = ""


def engine_result(
    ctx: Context, probe: Probe, identity: tuple[str | None, str | None] | str
) -> CheckResult:
    if isinstance(identity, str):
        return _result(probe, "engine", "not checked", False, identity)
    address, user = identity
    decision = ctx.policy.decide(probe.entry, client_ip=address, user=user, when=ctx.now)
    got = f"{'blocked' if decision.blocked else 'allowed'} ({decision.rule})"
    who = f"address {address}" if address else (f"user {user}" if user else "an unknown device")
    detail = f"Asked as {who}, placed in {decision.group}. {probe.why}"
    return _result(probe, "engine", got, decision.blocked == probe.expected, detail)


def dns_result(ctx: Context, probe: Probe, group: FilterGroup) -> CheckResult:
    if ctx.dns_down:
        return _result(probe, "dns", "no answer", False, ctx.dns_down)
    source = _loopback_source(group, ctx.server)
    answer = checks_dns.ask(ctx.server, probe.entry, source, ctx.blocks)
    if not answer.answered:
        return _result(
            probe,
            "dns",
            answer.got,
            False,
            "The DNS filter answers blocked names at once, so this entry was "
            "probably sent on to the upstream resolver: it is not blocked.",
        )
    placed = ctx.policy.decide_dns(probe.entry, client_ip=answer.source, when=ctx.now)
    expected, detail = probe.expected, f"Asked from {answer.source}, in this group. {probe.why}"
    if placed.group != group.name:
        detail = (
            f"Asked from {answer.source}, which is not in this group: which group the DNS "
            f"filter placed it in is unknown (the published policy says {placed.group})."
        )
        if probe.kind == Kind.CATEGORY:
            expected = placed.blocked
            detail += " Compared with what the published policy says for that address."
    checked = Probe(probe.group, probe.category, probe.kind, probe.entry, expected, probe.why)
    return _result(checked, "dns", answer.got, answer.blocked == expected, detail)


def _loopback_source(group: FilterGroup, server: tuple[str, int]) -> str | None:
    """The group's first address when this machine can send from it, else None."""
    address = first_address(group)
    if address is None:
        return None
    parsed = ipaddress.ip_address(address)
    same_family = (parsed.version == 6) == (":" in server[0])
    return address if parsed.is_loopback and same_family else None


def _result(probe: Probe, via: str, got: str, passed: bool, detail: str) -> CheckResult:
    return CheckResult(
        group_name=probe.group,
        category=probe.category,
        kind=probe.kind,
        entry=probe.entry,
        via=via,
        expected_block=probe.expected,
        got=got[:100],
        passed=passed,
        detail=detail,
    )


def dns_probe(server: tuple[str, int], blocks: frozenset[str]) -> str:
    """Empty when the DNS filter answers at all; else why every DNS check fails."""
    answer = checks_dns.ask(server, check_entry(ILLEGAL), None, blocks)
    if answer.answered:
        return ""
    return (
        f"DNS filter not answering at {server[0]}:{server[1]} "
        f"({answer.got}). Is `safeschool dns` running?"
    )


def check_group(ctx: Context, group: FilterGroup) -> list[CheckResult]:
    identity = engine_identity(ctx.policy, group, ctx.now)
    results = []
    for probe in probes_for(group, ctx.now):
        results.append(engine_result(ctx, probe, identity))
        results.append(dns_result(ctx, probe, group))
    return results


# The service -------------------------------------------------------------------------------


def run_checks(
    school: School, actor: Any = None, dns_address: str | None = None, via: str = CheckRun.Via.WEB
) -> CheckRun:
    """Run every check for the school and keep the results (audited: filtering.checks_run).

    `actor` None is the scheduled run from cron. The network questions are asked before the
    transaction opens, so the database is never held while waiting for the DNS filter.
    """
    if actor is not None and not may_run_checks(actor, school):
        raise PermissionDenied(
            "Running filtering checks needs filtering:change, "
            "filtering:emergency or filtering:approve."
        )
    started = timezone.now()
    version = PolicyVersion.objects.filter(school=school).order_by("-number").first()
    results, message = _gather(school, dns_address or settings.DNS_LISTEN, started)
    return _save(school, actor, via, started, version, results, message)


def _gather(
    school: School, listen: str, started: datetime.datetime
) -> tuple[list[CheckResult], str]:
    try:
        policy = load_policy(snapshot_path(school))
    except (PolicyError, OSError) as error:
        return [], (
            "No policy has been published for this school yet, or it cannot be read, "
            f"so nothing could be checked: {error}"
        )
    server = checks_dns.server_address(listen)
    blocks = checks_dns.block_addresses(settings.BLOCK_PAGE_URL)
    now = timezone.localtime(started).replace(tzinfo=None)
    ctx = Context(policy, now, server, blocks, dns_probe(server, blocks))
    groups = FilterGroup.objects.filter(school=school).prefetch_related("categories__schedule")
    results = [result for group in groups for result in check_group(ctx, group)]
    if not results:
        return [], "The school has no filter groups, so there was nothing to check."
    return results, ""


@transaction.atomic
def _save(
    school: School,
    actor: Any,
    via: str,
    started: datetime.datetime,
    version: PolicyVersion | None,
    results: list[CheckResult],
    message: str,
) -> CheckRun:
    run = CheckRun.objects.create(
        school=school,
        started_at=started,
        finished_at=timezone.now(),
        run_by=actor,
        via=via,
        policy_version=version.number if version else None,
        message=message,
        passed=bool(results) and all(r.passed for r in results),
    )
    for result in results:
        result.run = run
    CheckResult.objects.bulk_create(results)
    failed = sum(1 for r in results if not r.passed)
    audit.record(
        "filtering.checks_run",
        actor=actor,
        school=school,
        subject=run,
        data={
            "outcome": "passed" if run.passed else "failed",
            "checks": len(results),
            "failed": failed,
            "via": via,
            "version": run.policy_version,
            "message": message,
        },
    )
    return run


def latest_run(school: School) -> CheckRun | None:
    return CheckRun.objects.filter(school=school).order_by("-started_at").first()


def summary(results: Iterable[CheckResult]) -> tuple[int, int]:
    """(passed, failed) counts."""
    items = list(results)
    passed = sum(1 for r in items if r.passed)
    return passed, len(items) - passed


# The cron entry point ----------------------------------------------------------------------


class Writer(Protocol):
    def write(self, text: str, /) -> object: ...


def run_checks_command(school_slug: str, stdout: Writer) -> int:
    """`safeschool filter run-checks --school SLUG`: 0 all passed, 1 any failed, 2 no school."""
    school = School.objects.filter(slug=school_slug).first()
    if school is None:
        stdout.write(f"There is no school {school_slug!r}.\n")
        return 2
    run = run_checks(school, actor=None, via=CheckRun.Via.CRON)
    results = list(run.results.all())
    passed, failed = summary(results)
    if run.message:
        stdout.write(f"FAILED: {run.message}\n")
    for result in results:
        if not result.passed:
            stdout.write(
                f"FAIL {result.group_name} {result.entry} via {result.via}: "
                f"{result.got}. {result.detail}\n"
            )
    stdout.write(f"{school.name}: {passed} passed, {failed} failed.\n")
    return 0 if run.passed else 1
