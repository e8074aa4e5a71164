"""A child's chronology: every concern, action, decision, referral and note in time order."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from safeschool.concerns.access import can_see_handling, visible_concerns
from safeschool.concerns.models import Concern
from safeschool.people.models import Pupil
from safeschool.schools.models import School


@dataclass(frozen=True)
class Row:
    at: datetime.datetime
    kind: str
    concern: Concern
    text: str
    by: str


def _by(user: Any) -> str:
    return str(user.get_full_name() or user.get_username())


def _concern_rows(concern: Concern, pupil: Pupil) -> list[Row]:
    link = concern.pupil_links.get(pupil=pupil)
    account = concern.current_account
    rows = [
        Row(
            concern.recorded_at,
            f"Concern recorded ({link.get_role_display().lower()})",
            concern,
            account.text if account else "",
            _by(concern.reporter),
        )
    ]
    for a in concern.action_set.all():
        rows.append(
            Row(
                a.created_at,
                "Action",
                concern,
                f"{a.description} (due {a.due_on:%d/%m/%Y}{', done' if a.done_at else ''})",
                _by(a.created_by),
            )
        )
    for d in concern.decision_set.all():
        kind = "Decision not to refer" if d.not_to_refer else "Decision"
        rows.append(
            Row(
                d.created_at, kind, concern, f"{d.decision} – because {d.reason}", _by(d.created_by)
            )
        )
    for r in concern.referral_set.all():
        rows.append(
            Row(
                r.created_at,
                f"Referral to {r.get_agency_display()}",
                concern,
                f"Reference {r.reference or '—'}. {r.response}",
                _by(r.created_by),
            )
        )
    for p in concern.parentcontact_set.all():
        text = (
            f"Informed {p.informed_on:%d/%m/%Y}: {p.who}"
            if p.informed
            else (f"Not informed: {p.reason_not_informed}")
        )
        rows.append(Row(p.created_at, "Parents or carers", concern, text, _by(p.created_by)))
    for n in concern.note_set.all():
        rows.append(Row(n.created_at, "Note", concern, n.text, _by(n.created_by)))
    for s in concern.statuschange_set.all():
        rows.append(Row(s.created_at, str(s), concern, s.reason, _by(s.created_by)))
    return rows


def chronology_for(user: Any, school: School, pupil: Pupil, category: str = "") -> list[Row]:
    concerns = visible_concerns(user, school).filter(pupil_links__pupil=pupil)
    if category:
        concerns = concerns.filter(category=category)
    rows: list[Row] = []
    for concern in concerns.select_related("reporter"):
        if can_see_handling(user, concern):
            rows.extend(_concern_rows(concern, pupil))
    return sorted(rows, key=lambda r: r.at)
