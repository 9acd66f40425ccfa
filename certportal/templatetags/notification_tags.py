from django import template

from certportal import outbox

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notifications(context) -> int:
    """Unread count for the header (one indexed COUNT query per page)."""
    user = getattr(context.get("request"), "user", None)
    if user is None or not user.is_authenticated:
        return 0
    return outbox.unread_count(user)
