"""Turning one filter event into findings: which rules fire, in which category, how severe.

Pure functions over the event's fields; the database work (grouping into episodes, counting
recent blocks) is in `services`.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Any

from safeschool.monitoring.models import MonitoringCategory as M
from safeschool.monitoring.models import Rule

# An episode continues while its events come less than this far apart.
EPISODE_GAP = datetime.timedelta(minutes=30)
# Repeated blocked attempts: this many blocks in one high-risk category within the window.
REPEATED_BLOCKS = 5
REPEATED_WINDOW = datetime.timedelta(minutes=10)
NOTIFY_AT = 4  # severities 4 and 5 reach the safeguarding team at once

# Filter categories (UT1 names, the UKSIC names a school's snapshot uses, common synonyms)
# mapped to monitoring categories. Only these count as high-risk for repeated blocks.
HIGH_RISK = {
    "adult": M.PORNOGRAPHY,
    "porn": M.PORNOGRAPHY,
    "pornography": M.PORNOGRAPHY,
    "sexual": M.PORNOGRAPHY,
    "mixed_adult": M.PORNOGRAPHY,
    "drogue": M.DRUGS,
    "drugs": M.DRUGS,
    "drugs_substance_abuse": M.DRUGS,
    "gambling": M.GAMBLING,
    "violence": M.VIOLENCE,
    "agressif": M.VIOLENCE,
    "weapons": M.WEAPONS,
    "dangerous_material": M.WEAPONS,
    "extremism": M.EXTREMISM,
    "self_harm": M.SELF_HARM,
    "selfharm": M.SELF_HARM,
    "suicide": M.SUICIDE,
    "discrimination": M.DISCRIMINATION,
    "racism": M.DISCRIMINATION,
}
BYPASS_CATEGORIES = {
    "vpn",
    "redirector",
    "proxy",
    "proxies",
    "doh",
    "anonymizer",
    "bypass",
    "malware_hacking_bypass",
}
BYPASS_WORDS = re.compile(
    r"\b(vpn|proxy|proxies|unblock(?:ed|er)?|bypass\w*\s+(?:the\s+)?(?:school\s+)?filter\w*|"
    r"psiphon|hotspot\s+shield|tor\s+browser|ultrasurf)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Finding:
    rule: Rule
    category: M
    severity: int
    term: str = ""
    matched_text: str = ""


def immediate_findings(event: Any, matches: list[Any]) -> list[Finding]:
    """What fires on this event alone: illegal-layer hits, bypass attempts, risk terms."""
    found: list[Finding] = []
    if event.rule == "illegal":
        found.append(Finding(Rule.ILLEGAL, M.ILLEGAL, 5, matched_text=event.url or event.host))
    text = event.search_terms or ""
    if event.category in BYPASS_CATEGORIES or (text and BYPASS_WORDS.search(text)):
        found.append(Finding(Rule.BYPASS, M.BYPASS, 3, matched_text=text or event.host))
    if matches:
        top = max(matches, key=lambda m: m.severity)
        found.append(
            Finding(
                Rule.TERM,
                M(top.category),
                top.severity,
                term=top.term,
                matched_text=text or event.url or event.host,
            )
        )
    return found


def repeated_block_category(event: Any) -> M | None:
    """The monitoring category if this is a block in a high-risk filter category."""
    if event.action != "block":
        return None
    return HIGH_RISK.get((event.category or "").lower())


def repeated_block_finding(category: M, count: int) -> Finding:
    severity = 4 if category in {M.SELF_HARM, M.SUICIDE, M.EXTREMISM} else 3
    return Finding(
        Rule.REPEATED_BLOCKS,
        category,
        severity,
        matched_text=f"{count} blocked attempts within "
        f"{int(REPEATED_WINDOW.total_seconds() // 60)} minutes",
    )
