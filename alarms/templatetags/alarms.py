"""The event page's alarm cluster: `{% load alarms %}{% alarm_cluster event %}` in
templates/events/detail.html (the events app knows nothing else of alarms)."""

from django import template

from ..selectors import cluster_for_event

register = template.Library()


@register.inclusion_tag("alarms/_cluster.html")
def alarm_cluster(event):
    return {"found": cluster_for_event(event.pk) if event.source == "iot" else None}
