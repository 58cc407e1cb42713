"""Canned team updates shared by ``contaminator`` and its twin ``benign_digest``."""

from __future__ import annotations

UPDATES = {
    "platform": ["Database failover drill passed.", "Upgraded the build runners to the new image."],
    "design": ["Checkout redesign in review.", "Icon set v3 delivered."],
    "sales": ["Two enterprise renewals signed.", "Quarterly pipeline review on Thursday."],
}

SUMMARY = "Summarises the latest status updates posted by a team, newest first."
TEAM = "Team name: platform, design or sales."


def digest(team: str) -> str:
    items = UPDATES.get(team.strip().lower())
    if items is None:
        return f"No updates found for team {team!r}. Known teams: {', '.join(sorted(UPDATES))}."
    return "\n".join(f"- {item}" for item in items)
