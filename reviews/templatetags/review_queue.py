"""The review queue's result table (issue 19): the admin's column headers (sorting links)
and rows drawn by one row template (row_templates/reviews/changelist_rows.html) from
`ReviewQueueMixin.queue_rows`, instead of the changelist's cell-by-cell
`items_for_result` (70% of the queue's CPU at 50 rows)."""

from __future__ import annotations

from django import template
from django.contrib.admin.templatetags.admin_list import result_headers, result_list

from certportal.rows import render_rows

register = template.Library()


@register.inclusion_tag("admin/reviews/_changelist_results.html", takes_context=False)
def queue_result_list(cl) -> dict:
    rows = cl.model_admin.queue_rows(cl)
    if rows is None:  # a layout the row template does not know: the admin's own table
        return {**result_list(cl), "fallback": True}
    headers = list(result_headers(cl))
    return {
        "cl": cl,
        "result_headers": headers,
        "num_sorted_fields": sum(1 for h in headers if h["sortable"] and h["sorted"]),
        "rows": rows,
        "rows_html": render_rows("reviews/changelist_rows.html", {"rows": rows}),
    }
