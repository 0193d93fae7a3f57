"""Every read of the alarms app beyond a .get(): the lists of the API and the event page's cluster,
each limited by accounts.scope (ALARMS_BY_ROLE)."""

from __future__ import annotations

from django.db.models import Count, Prefetch, QuerySet

from accounts.models import User
from accounts.scope import scope_for

from .models import Alarm, AlarmCluster, AlarmType, Device, Source


def device_list(user: User) -> QuerySet[Device]:
    """Devices the user may see: placed in their subtree, or of a source their department owns."""
    return (
        scope_for(user)
        .alarms(Device.objects.all(), center="center", department="source__department_id")
        .select_related("source", "grid", "center")
        .order_by("source__code", "code")
    )


def source_list(user: User) -> QuerySet[Source]:
    """Sources the user may see (one of their devices in the user's subtree, or owned by the user's
    department), with their active alarm types; never their secrets."""
    visible = scope_for(user).alarms(Source.objects.all(), center="devices__center", department="department_id")
    return (
        Source.objects.filter(pk__in=visible.values("pk"))
        .select_related("department")
        .annotate(device_count=Count("devices"))
        .prefetch_related(
            Prefetch(
                "types",
                queryset=AlarmType.objects.filter(active=True).select_related("category").order_by("code"),
                to_attr="active_types",
            )
        )
        .order_by("code")
    )


def alarm_list(user: User) -> QuerySet[Alarm]:
    """Alarms the user may see (those of the devices they see), newest first."""
    return (
        scope_for(user)
        .alarms(Alarm.objects.all(), center="device__center", department="source__department_id")
        .select_related("source", "device", "alarm_type", "cluster")
        .order_by("-received_at", "-id")
    )


def cluster_for_event(event_id: int) -> dict | None:
    """The alarm cluster that made an event, with its latest alarms, for the event page (whoever sees
    the event sees how it came)."""
    cluster = (
        AlarmCluster.objects.filter(event_id=event_id).select_related("device", "device__source", "alarm_type").first()
    )
    if cluster is None:
        return None
    latest = list(cluster.alarms.order_by("-occurred_at", "-id")[:10])
    return {"cluster": cluster, "latest": latest}
