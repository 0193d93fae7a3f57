"""What a user may see: the one place where visibility is decided.

Every API view and page asks `scope_for(user)` and filters through it, so an object
outside a user's scope is simply not found (404), never shown and never changed.

- administrators (and superusers) see everything;
- anyone else with a center sees that center's subtree (a district duty officer the
  whole district, a town user the town and its communities, a community user the
  community);
- department staff see the area their department serves (for maps and lookups) and,
  for tickets, only their own department's (applied by the events app through
  `department_id`);
- a user with neither sees nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from grids.models import Center, Department, Grid

from .models import Role, User


@dataclass(frozen=True)
class Scope:
    """A user's visibility: `center_path` is the root of the visible subtree, or None."""

    everything: bool = False
    center_path: str | None = None
    department_id: int | None = None
    user_id: int | None = None
    role: str = ""

    def center_q(self, field: str = "") -> Q:
        """A filter on a center relation (`field`, e.g. "center") limiting it to this scope."""
        if self.everything:
            return Q()
        if self.center_path is None:
            return Q(pk__in=[])
        prefix = f"{field}__" if field else ""
        return Q(**{f"{prefix}path__startswith": self.center_path})

    def centers(self) -> QuerySet[Center]:
        return Center.objects.filter(self.center_q())

    def grids(self) -> QuerySet[Grid]:
        return Grid.objects.filter(self.center_q("center"))

    def departments(self) -> QuerySet[Department]:
        """Departments serving this scope's area (at its root or above) or working inside it."""
        if self.everything:
            return Department.objects.all()
        if self.center_path is None:
            return Department.objects.none()
        ancestors = self.center_path.strip("/").split("/")
        return Department.objects.filter(Q(center__code__in=ancestors) | self.center_q("center"))

    def events(self, queryset=None) -> QuerySet:
        """Events this user may see: a center's subtree holds them or held them first (a lower
        center keeps read access after an escalation); department staff see their department's
        tickets and their own reports; grid workers their reports, their tasks and their grids' events; volunteers
        their own reports."""
        from django.db.models import Exists, OuterRef

        from events.models import Event, EventAssignment

        queryset = Event.objects.all() if queryset is None else queryset
        if self.everything:
            return queryset
        if self.role == Role.DEPARTMENT_STAFF:
            if self.department_id is None:
                return queryset.none()
            tickets = EventAssignment.objects.filter(event=OuterRef("pk"), department_id=self.department_id)
            return queryset.filter(Exists(tickets) | Q(reporter_id=self.user_id))
        if self.role == Role.VOLUNTEER:
            return queryset.filter(reporter_id=self.user_id)
        if self.role == Role.GRID_WORKER:
            mine = Grid.workers.through.objects.filter(user_id=self.user_id, grid_id=OuterRef("grid_id"))
            mine_to_act = Q(assignee_id=self.user_id) | Q(verifier_id=self.user_id)
            return queryset.filter(Q(reporter_id=self.user_id) | mine_to_act | Exists(mine))
        if self.center_path is None:
            return queryset.none()
        # Escalation only climbs, so the holding center is always the first center or above it:
        # "first center in my subtree" covers both "held in my subtree" and "held here before".
        return queryset.filter(origin_center_id__in=subtree_ids(self.center_path))

    def filter_by_center(self, queryset: QuerySet, field: str = "center") -> QuerySet:
        """Any queryset whose rows belong to a center, limited to this scope."""
        return queryset.filter(self.center_q(field))


SUBTREE_LIST_LIMIT = 5000


def subtree_ids(path: str):
    """The ids of the centers in the subtree at `path`: a list of numbers, which lets PostgreSQL
    estimate (and plan) an event query well; a subquery for the rare subtree too big for a list."""
    ids = list(Center.objects.filter(path__startswith=path).values_list("id", flat=True)[: SUBTREE_LIST_LIMIT + 1])
    if len(ids) > SUBTREE_LIST_LIMIT:
        return Center.objects.filter(path__startswith=path).values("id")
    return ids


def scope_for(user: User) -> Scope:
    """The scope of `user` (anonymous users see nothing)."""
    if not user.is_authenticated or not user.is_active:
        return Scope()
    if user.is_superuser or user.role == Role.ADMIN:
        return Scope(everything=True, user_id=user.pk, role=user.role)
    center = user.center
    if user.role == Role.DEPARTMENT_STAFF and center is None and user.department_id:
        center = user.department.center
    return Scope(
        center_path=center.path if center else None, department_id=user.department_id, user_id=user.pk, role=user.role
    )
