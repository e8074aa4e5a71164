"""Roles a person holds in a school, and the named capabilities each role grants.

This table is the one place that says who may do what. Views and services ask
`accounts.permissions.has_capability`, which reads it; nothing else compares role names.
"""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    DSL = "dsl", "Designated safeguarding lead"
    DEPUTY_DSL = "deputy_dsl", "Deputy designated safeguarding lead"
    HEADTEACHER = "headteacher", "Headteacher"
    ONLINE_SAFETY_LEAD = "online_safety_lead", "Online safety lead"
    TECHNICIAN = "technician", "Technician / network manager"
    TEACHER = "teacher", "Teacher"
    SUPPORT_STAFF = "support_staff", "Support staff"
    GOVERNOR = "governor", "Governor"
    CHAIR_OF_GOVERNORS = "chair_of_governors", "Chair of governors"
    VOLUNTEER = "volunteer", "Volunteer"


class Capability(models.TextChoices):
    SCHOOL_VIEW = "school:view", "See the school's page and key people"
    PEOPLE_READ = "people:read", "See pupils, classes and staff"
    PEOPLE_SENSITIVE = "people:read_sensitive", "See pupils' flags (looked-after, SEND) and carers"
    KEY_PEOPLE_MANAGE = "keypeople:manage", "Keep the key people register"
    CONCERNS_RECORD = "concerns:record", "Record a safeguarding concern"
    CONCERNS_READ_ALL = "concerns:read_all", "Read every concern in the school"
    CONCERNS_MANAGE = "concerns:manage", "Triage, act on, refer and close concerns"
    ALLEGATIONS_MANAGE = "allegations:manage", "Manage allegations about adults"
    FILTERING_READ = "filtering:read", "See the filtering policy and logs"
    FILTERING_CHANGE = "filtering:change", "Propose changes to filtering"
    FILTERING_APPROVE = "filtering:approve", "Approve or reject filtering changes"
    FILTERING_EMERGENCY = "filtering:emergency", "Publish an emergency block at once"
    MONITORING_TRIAGE = "monitoring:triage", "Triage monitoring alerts and tune risk terms"
    MONITORING_FEED = "monitoring:feed", "Send alerts from other monitoring tools (API)"
    REPORTS_READ = "reports:read", "Read reports and figures"
    AUDIT_READ = "audit:read", "Read the audit log"


C = Capability

_EVERYONE = frozenset({C.SCHOOL_VIEW, C.CONCERNS_RECORD})
_SAFEGUARDING_TEAM = _EVERYONE | {
    C.PEOPLE_READ,
    C.PEOPLE_SENSITIVE,
    C.CONCERNS_READ_ALL,
    C.CONCERNS_MANAGE,
    C.FILTERING_READ,
    C.FILTERING_EMERGENCY,
    C.MONITORING_TRIAGE,
    C.MONITORING_FEED,
    C.REPORTS_READ,
}

ROLE_CAPABILITIES: dict[Role, frozenset[Capability]] = {
    Role.DSL: _SAFEGUARDING_TEAM | {C.ALLEGATIONS_MANAGE, C.AUDIT_READ, C.KEY_PEOPLE_MANAGE},
    Role.DEPUTY_DSL: _SAFEGUARDING_TEAM,
    Role.HEADTEACHER: _EVERYONE
    | {
        C.PEOPLE_READ,
        C.PEOPLE_SENSITIVE,
        C.KEY_PEOPLE_MANAGE,
        C.CONCERNS_READ_ALL,
        C.ALLEGATIONS_MANAGE,
        C.FILTERING_READ,
        C.FILTERING_APPROVE,
        C.REPORTS_READ,
        C.AUDIT_READ,
    },
    Role.ONLINE_SAFETY_LEAD: _EVERYONE
    | {C.PEOPLE_READ, C.FILTERING_READ, C.FILTERING_CHANGE, C.REPORTS_READ},
    Role.TECHNICIAN: _EVERYONE
    | {C.FILTERING_READ, C.FILTERING_CHANGE, C.FILTERING_EMERGENCY, C.MONITORING_FEED},
    Role.TEACHER: _EVERYONE | {C.PEOPLE_READ},
    Role.SUPPORT_STAFF: _EVERYONE | {C.PEOPLE_READ},
    Role.GOVERNOR: _EVERYONE | {C.REPORTS_READ},
    Role.CHAIR_OF_GOVERNORS: _EVERYONE | {C.REPORTS_READ},
    Role.VOLUNTEER: _EVERYONE,
}

SAFEGUARDING_TEAM_ROLES = frozenset({Role.DSL, Role.DEPUTY_DSL})


def capabilities_for(roles: set[str]) -> frozenset[Capability]:
    """The union of the capabilities of the given roles."""
    granted: set[Capability] = set()
    for role in roles:
        granted |= ROLE_CAPABILITIES[Role(role)]
    return frozenset(granted)
