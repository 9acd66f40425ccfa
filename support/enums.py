from django.db import models


class Severity(models.TextChoices):
    CRITICAL = "critical", "Critical"
    HIGH = "high", "High"
    NORMAL = "normal", "Normal"
    LOW = "low", "Low"


class TicketState(models.TextChoices):
    NEW = "new", "New"
    TRIAGED = "triaged", "Triaged"
    WITH_PARTNER = "with_partner", "With the partner"
    WITH_VENDOR = "with_vendor", "With vendor first line"
    WAITING_ON_REPORTER = "waiting_on_reporter", "Waiting on the reporter"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


# Someone is working on it: the resolution clock runs and the queue shows it.
OPEN_TICKET_STATES = (
    TicketState.NEW,
    TicketState.TRIAGED,
    TicketState.WITH_PARTNER,
    TicketState.WITH_VENDOR,
    TicketState.WAITING_ON_REPORTER,
)
HANDLED_STATES = (TicketState.WITH_PARTNER, TicketState.WITH_VENDOR)
REOPEN_TARGETS = (TicketState.TRIAGED, TicketState.WITH_PARTNER, TicketState.WITH_VENDOR)


class Classification(models.TextChoices):
    """The support agent's triage verdict; it decides the routing."""

    PARTNER = "partner", "Partner issue → route to the partner"
    UNCLEAR = "unclear", "Unclear → vendor first line"
    VENDOR = "vendor", "Vendor issue → stays with the vendor"


class EventKind(models.TextChoices):
    CREATED = "created", "Raised"
    TRANSITION = "transition", "State change"
    REPLY = "reply", "Reply"
    NOTE = "note", "Internal note"
    ACKNOWLEDGED = "acknowledged", "Acknowledged by the partner"


class MeetingState(models.TextChoices):
    TO_SCHEDULE = "to_schedule", "To schedule"
    SCHEDULED = "scheduled", "Scheduled"
    HELD = "held", "Held"


PENDING_MEETING_STATES = (MeetingState.TO_SCHEDULE, MeetingState.SCHEDULED)

# Defaults when a partner has no support plan (the plan is a qualification requirement,
# so this is only for data created before it existed).
DEFAULT_RESPONSE_HOURS = {
    Severity.CRITICAL: 4,
    Severity.HIGH: 8,
    Severity.NORMAL: 24,
    Severity.LOW: 72,
}
DEFAULT_RESOLUTION_HOURS = {
    Severity.CRITICAL: 24,
    Severity.HIGH: 72,
    Severity.NORMAL: 7 * 24,
    Severity.LOW: 14 * 24,
}
