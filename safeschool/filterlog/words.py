"""Why a page was blocked, in words a child understands."""

from __future__ import annotations

from typing import Any

_CATEGORIES = {
    "illegal": "It is on a list of pages that are against the law to show. Nobody can unblock it.",
    "adult": "It has things on it that are only for grown-ups.",
    "porn": "It has things on it that are only for grown-ups.",
    "gambling": "It is about gambling: betting money on games or sport.",
    "social_networks": "It is a social media site, and your school doesn't allow those here.",
    "social": "It is a social media site, and your school doesn't allow those here.",
    "chat": "It is a chat site where you might talk to people you don't know.",
    "games": "It is a games site, and games are not allowed here at the moment.",
    "malware": "It could harm your device or steal information.",
    "phishing": "It might try to trick you into giving away passwords or personal details.",
    "dangerous_material": "It has information that could be dangerous.",
    "drogue": "It is about drugs.",
    "drugs": "It is about drugs.",
    "agressif": "It has violent or hateful things on it.",
    "violence": "It has violent or hateful things on it.",
    "hacking": "It is about breaking into computers.",
    "vpn": "It is a way to get around the school's filter.",
    "redirector": "It is a way to get around the school's filter.",
    "doh": "It is a way to get around the school's filter.",
    "warez": "It shares things like films, music or games without permission.",
}
_RULES = {
    "deny-list": "Your school has put this page on its list of blocked pages.",
    "default": "Your school only allows pages it has chosen, and this isn't one of them yet.",
    "ip-address": "Pages that are reached by a number instead of a name are blocked here.",
}
GENERAL = "Your school's filter has blocked this page to help keep you safe online."


def explain(category: str, rule: str) -> str:
    """One or two plain sentences on why a page was blocked."""
    if rule == "illegal" or category == "illegal":
        return _CATEGORIES["illegal"]
    if category in _CATEGORIES:
        return _CATEGORIES[category]
    return _RULES.get(rule, GENERAL)


def category_label(category: str) -> str:
    """The category as people write it ("social networks", not "social_networks")."""
    return category.replace("_", " ").replace("-", " ").strip() or "not in a category"


def outcome(unblock: Any) -> dict[str, str]:
    """What became of an unblock request, for the person who asked: a heading and a reason."""
    from safeschool.filterlog.unblock import pending_change

    if unblock.status == "allowed":
        return {
            "status": "Unblocked",
            "reason": "The page was checked and it has been unblocked. "
            "It may take a few minutes before it opens.",
        }
    if unblock.status == "kept":
        why = unblock.reply or explain(unblock.category, unblock.rule)
        return {"status": "Kept blocked", "reason": f"The page was checked. {why}"}
    if pending_change(unblock) is not None:
        return {
            "status": "Nearly decided",
            "reason": "The people who look after the filter think this page could be "
            "unblocked. Someone else at your school has to agree before it changes.",
        }
    return {
        "status": "Waiting to be checked",
        "reason": "The people who look after the filter have not looked at it yet. "
        "Please check again later.",
    }
