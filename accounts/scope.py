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

    def filter_by_center(self, queryset: QuerySet, field: str = "center") -> QuerySet:
        """Any queryset whose rows belong to a center, limited to this scope."""
        return queryset.filter(self.center_q(field))


def scope_for(user: User) -> Scope:
    """The scope of `user` (anonymous users see nothing)."""
    if not user.is_authenticated or not user.is_active:
        return Scope()
    if user.is_superuser or user.role == Role.ADMIN:
        return Scope(everything=True)
    center = user.center
    if user.role == Role.DEPARTMENT_STAFF and center is None and user.department_id:
        center = user.department.center
    return Scope(center_path=center.path if center else None, department_id=user.department_id)
