"""The back office's words for transition names (issue 14: `ut_pass` never reaches a page)."""

from __future__ import annotations

from django import template

from certportal.templatetags.display import code_label

register = template.Library()

# What happened, for the timeline (the review page's buttons say what will happen).
TIMELINE_LABELS = {
    "submit": "Submitted",
    "assign": "Assigned",
    "intake_ok": "Package complete",
    "intake_incomplete": "Package incomplete",
    "ut_pass": "User testing passed",
    "ut_changes": "Changes requested after user testing",
    "cr_pass": "Code review passed",
    "cr_changes": "Changes requested after code review",
    "resubmit": "Resubmitted",
    "publish": "Published",
    "reject": "Rejected",
    "hold": "Put on hold",
    "resume": "Review resumed",
    "withdraw": "Withdrawn",
}


@register.filter
def transition_label(name: str) -> str:
    return TIMELINE_LABELS.get(name) or code_label(name)
