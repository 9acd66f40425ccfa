"""Sent after commit when a request changes state or reviewer, so other apps (the GitHub
access sync in reviews) react without certifications importing them."""

from django.dispatch import Signal

# kwargs: request_id, transition, from_state, to_state
request_transitioned = Signal()
# kwargs: request_id
request_reviewer_changed = Signal()
