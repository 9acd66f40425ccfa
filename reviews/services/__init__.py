"""Writes of the reviews app, one module per concern; callers import from
`reviews.services`:

- `findings`: findings and their threads — replies, questions, internal notes, disputes
  and their verdicts, reviewer verdicts on findings;
- `assignment`: who reviews what — automatic assignment on intake (load, capacity,
  conflicts, out of office), claims, manual and bulk (re)assignment with a reason, the
  reviewers' settings;
- `rounds`: the commit of every review round and what changed between rounds (GitHub's
  compare, cached per commit pair), the scoped re-test and the "looks major" flags.
"""

from reviews.services.assignment import (
    assignment_auto,
    assignment_bulk,
    assignment_set,
    reviewer_settings_save,
)
from reviews.services.findings import (
    STAGE_FOR_STATE,
    ReviewError,
    finding_add,
    finding_dispute,
    finding_dispute_decide,
    finding_note_internal,
    finding_reply,
    finding_set_status,
)
from reviews.services.rounds import compare_commits_cached, review_round_record

__all__ = [
    "STAGE_FOR_STATE",
    "ReviewError",
    "assignment_auto",
    "assignment_bulk",
    "assignment_set",
    "compare_commits_cached",
    "finding_add",
    "finding_dispute",
    "finding_dispute_decide",
    "finding_note_internal",
    "finding_reply",
    "finding_set_status",
    "review_round_record",
    "reviewer_settings_save",
]
