"""What a user may see: the one place where visibility is decided.

Every API view and page asks `scope_for(user)` and filters through it, so an object
outside a user's scope is simply not found (404), never shown and never changed.

Visibility is granted role by role, in two explicit tables below: `EVENTS_BY_ROLE` (events,
with reporters' names and photos) and `AREA_BY_ROLE` (centers, grids and departments: the map
and lookups). A role missing from a table sees nothing there — a new role must be added to both
on purpose (a test fails until it is). Superusers see everything whatever their role.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import Q, QuerySet

from grids.models import Center, Department, Grid

from .models import Role, User

# What a role sees of events.
EVERYTHING = "everything"  # administrators
SUBTREE = "subtree"  # events first held in the user's center's subtree (it keeps them after an escalation)
TICKETS = "tickets"  # department staff: their department's tickets and their own reports
GRID_WORK = "grid_work"  # grid workers: their reports, their tasks (handling or verifying) and their grids' events
OWN_REPORTS = "own_reports"  # volunteers: what they reported
NOTHING = "nothing"

EVENTS_BY_ROLE: dict[str, str] = {
    Role.ADMIN: EVERYTHING,
    Role.DUTY_OFFICER: SUBTREE,
    Role.DUTY_LEADER: SUBTREE,
    Role.CENTER_STAFF: SUBTREE,
    Role.DEPARTMENT_STAFF: TICKETS,
    Role.GRID_WORKER: GRID_WORK,
    Role.VOLUNTEER: OWN_REPORTS,
    # Mediators run dispute cases (the disputes app grants those): events, with reporters' names,
    # are not theirs to read.
    Role.MEDIATOR: NOTHING,
    Role.RESIDENT: NOTHING,
}

# What a role sees of disputes (cases, with the parties' personal data for mediators and center
# staff: disputes.services.may_see_parties). A mediator works for a committee at their center and sees
# the cases of its area; the grid worker who took a case in follows it.
DISPUTES_BY_ROLE: dict[str, str] = {
    Role.ADMIN: EVERYTHING,
    Role.DUTY_OFFICER: SUBTREE,
    Role.DUTY_LEADER: SUBTREE,
    Role.CENTER_STAFF: SUBTREE,
    Role.MEDIATOR: SUBTREE,
    Role.GRID_WORKER: OWN_REPORTS,
    Role.DEPARTMENT_STAFF: NOTHING,
    Role.VOLUNTEER: NOTHING,
    Role.RESIDENT: NOTHING,
}

# What a role sees of the special populations (care: persons with their visits; need-to-know).
# ASSIGNED: the persons the user is an assigned grid worker of, or a helping-team member of.
# DEPARTMENT: also those of the user's department within its area (the center it serves).
# AUTHORISED: center roles see their subtree's persons only with the permission
# care.view_special_people, granted by an administrator (a duty officer does not see them by role).
ASSIGNED = "assigned"
DEPARTMENT = "department"
AUTHORISED = "authorised"
CARE_PERMISSION = "view_special_people"

CARE_BY_ROLE: dict[str, str] = {
    Role.ADMIN: EVERYTHING,
    Role.DUTY_OFFICER: AUTHORISED,
    Role.DUTY_LEADER: AUTHORISED,
    Role.CENTER_STAFF: AUTHORISED,
    Role.DEPARTMENT_STAFF: DEPARTMENT,
    Role.GRID_WORKER: ASSIGNED,
    Role.VOLUNTEER: NOTHING,
    Role.MEDIATOR: NOTHING,
    Role.RESIDENT: NOTHING,
}

# What a role sees of patrols and patrol plans (tracks are where a person walked: personal data). A
# patroller sees their own patrols and the plans they are assigned to; a center its area's.
PATROLS_BY_ROLE: dict[str, str] = {
    Role.ADMIN: EVERYTHING,
    Role.DUTY_OFFICER: SUBTREE,
    Role.DUTY_LEADER: SUBTREE,
    Role.CENTER_STAFF: SUBTREE,
    Role.GRID_WORKER: OWN_REPORTS,
    Role.VOLUNTEER: OWN_REPORTS,
    Role.DEPARTMENT_STAFF: NOTHING,
    Role.MEDIATOR: NOTHING,
    Role.RESIDENT: NOTHING,
}

# What a role sees of the grid force (force app): volunteers with their points and recognitions, and
# the grid workers' and grids' figures. Center staff see their subtree's (volunteers of its grids,
# organizations and accounts); a grid worker the volunteers of their own grids; a volunteer themself.
FORCE_BY_ROLE: dict[str, str] = {
    Role.ADMIN: EVERYTHING,
    Role.DUTY_OFFICER: SUBTREE,
    Role.DUTY_LEADER: SUBTREE,
    Role.CENTER_STAFF: SUBTREE,
    Role.GRID_WORKER: GRID_WORK,
    Role.VOLUNTEER: OWN_REPORTS,
    Role.DEPARTMENT_STAFF: NOTHING,
    Role.MEDIATOR: NOTHING,
    Role.RESIDENT: NOTHING,
}

# What a role sees of alarm sources, their devices and alarms (alarms app; alarm payloads may name a
# person, e.g. a face alarm's tag). Centers see the devices placed in their subtree and those devices'
# alarms and sources; a department the sources it owns (DEPARTMENT) with all their devices and alarms.
ALARMS_BY_ROLE: dict[str, str] = {
    Role.ADMIN: EVERYTHING,
    Role.DUTY_OFFICER: SUBTREE,
    Role.DUTY_LEADER: SUBTREE,
    Role.CENTER_STAFF: SUBTREE,
    Role.DEPARTMENT_STAFF: DEPARTMENT,
    Role.GRID_WORKER: NOTHING,
    Role.VOLUNTEER: NOTHING,
    Role.MEDIATOR: NOTHING,
    Role.RESIDENT: NOTHING,
}

# What a role sees of the area (centers, grids, departments): names and outlines, no personal data.
# SUBTREE here is the subtree of the user's center (department staff: of the center their department
# serves, when they have none of their own).
AREA_BY_ROLE: dict[str, str] = {
    Role.ADMIN: EVERYTHING,
    Role.DUTY_OFFICER: SUBTREE,
    Role.DUTY_LEADER: SUBTREE,
    Role.CENTER_STAFF: SUBTREE,
    Role.DEPARTMENT_STAFF: SUBTREE,
    Role.GRID_WORKER: SUBTREE,  # the map of their community, to report and to patrol
    Role.VOLUNTEER: SUBTREE,  # to choose the center by hand when a point lies outside every grid
    Role.MEDIATOR: SUBTREE,  # disputes are placed in the mediator's area
    Role.RESIDENT: NOTHING,
}

# What a role may watch of the cameras (video app). SUBTREE: the cameras of the user's center's
# subtree (a household camera (慧眼) also needs the household's consent for the user's center and the
# purpose: video.domain.access). AUTHORISED: the same, for a department's staff or a grid worker
# granted video.watch_cameras by an administrator (their center: their department's, or their
# grids' community). OWN_CAMERAS: a household its own cameras only.
OWN_CAMERAS = "own_cameras"
VIDEO_PERMISSION = "watch_cameras"

VIDEO_BY_ROLE: dict[str, str] = {
    Role.ADMIN: EVERYTHING,
    Role.DUTY_OFFICER: SUBTREE,
    Role.DUTY_LEADER: SUBTREE,
    Role.CENTER_STAFF: SUBTREE,
    Role.DEPARTMENT_STAFF: AUTHORISED,
    Role.GRID_WORKER: AUTHORISED,
    Role.VOLUNTEER: NOTHING,
    Role.MEDIATOR: NOTHING,
    Role.RESIDENT: OWN_CAMERAS,
}


@dataclass(frozen=True)
class Scope:
    """A user's visibility: `center_path` is the root of the visible subtree, or None."""

    everything: bool = False
    center_path: str | None = None
    department_id: int | None = None
    user_id: int | None = None
    role: str = ""

    @property
    def area(self) -> str:
        return EVERYTHING if self.everything else AREA_BY_ROLE.get(self.role, NOTHING)

    def center_q(self, field: str = "") -> Q:
        """A filter on a center relation (`field`, e.g. "center") limiting it to this scope."""
        if self.area == EVERYTHING:
            return Q()
        if self.center_path is None or self.area != SUBTREE:
            return Q(pk__in=[])
        prefix = f"{field}__" if field else ""
        return Q(**{f"{prefix}path__startswith": self.center_path})

    def centers(self) -> QuerySet[Center]:
        return Center.objects.filter(self.center_q())

    def grids(self) -> QuerySet[Grid]:
        return Grid.objects.filter(self.center_q("center"))

    def departments(self) -> QuerySet[Department]:
        """Departments serving this scope's area (at its root or above) or working inside it."""
        if self.area == EVERYTHING:
            return Department.objects.all()
        if self.center_path is None or self.area != SUBTREE:
            return Department.objects.none()
        ancestors = self.center_path.strip("/").split("/")
        return Department.objects.filter(Q(center__code__in=ancestors) | self.center_q("center"))

    def events(self, queryset=None) -> QuerySet:
        """Events this user may see, by the role's rule in `EVENTS_BY_ROLE` (none if unlisted)."""
        from django.db.models import Exists, OuterRef

        from events.models import Event, EventAssignment

        queryset = Event.objects.all() if queryset is None else queryset
        rule = EVERYTHING if self.everything else EVENTS_BY_ROLE.get(self.role, NOTHING)
        if rule == EVERYTHING:
            return queryset
        if rule == TICKETS and self.department_id is not None:
            tickets = EventAssignment.objects.filter(event=OuterRef("pk"), department_id=self.department_id)
            return queryset.filter(Exists(tickets) | Q(reporter_id=self.user_id))
        if rule == OWN_REPORTS:
            return queryset.filter(reporter_id=self.user_id)
        if rule == GRID_WORK:
            mine = Grid.workers.through.objects.filter(user_id=self.user_id, grid_id=OuterRef("grid_id"))
            mine_to_act = Q(assignee_id=self.user_id) | Q(verifier_id=self.user_id)
            return queryset.filter(Q(reporter_id=self.user_id) | mine_to_act | Exists(mine))
        if rule == SUBTREE and self.center_path is not None:
            # Escalation only climbs, so the holding center is always the first center or above it:
            # "first center in my subtree" covers both "held in my subtree" and "held here before".
            return queryset.filter(origin_center_id__in=subtree_ids(self.center_path))
        return queryset.none()

    def disputes(self, queryset=None) -> QuerySet:
        """Disputes this user may see, by the role's rule in `DISPUTES_BY_ROLE` (none if unlisted):
        as events, a case first taken in in the user's subtree stays visible after an escalation."""
        from disputes.models import Dispute

        queryset = Dispute.objects.all() if queryset is None else queryset
        rule = EVERYTHING if self.everything else DISPUTES_BY_ROLE.get(self.role, NOTHING)
        if rule == EVERYTHING:
            return queryset
        if rule == OWN_REPORTS:
            return queryset.filter(reporter_id=self.user_id)
        if rule == SUBTREE and self.center_path is not None:
            return queryset.filter(origin_center_id__in=subtree_ids(self.center_path))
        return queryset.none()

    def covers(self, rule: str, center: Center) -> bool:
        """Whether `center`'s whole subtree lies inside what `rule` (a role's entry in one of the tables
        above) lets this user see: then a list of that subtree needs no other filter."""
        return rule == EVERYTHING or (
            rule == SUBTREE and self.center_path is not None and center.path.startswith(self.center_path)
        )

    def events_in(self, center: Center) -> QuerySet:
        """The events of `center`'s subtree that this user may see (first held in there: escalation only
        climbs). When that subtree lies inside what the user sees, it is the whole filter: one list of
        center ids, not the user's subtree and the center's together (a town's list 8x the bare SQL)."""
        from events.models import Event

        rule = EVERYTHING if self.everything else EVENTS_BY_ROLE.get(self.role, NOTHING)
        queryset = Event.objects.all() if self.covers(rule, center) else self.events()
        return queryset.filter(origin_center_id__in=center_subtree(center))

    def disputes_in(self, center: Center) -> QuerySet:
        """The disputes of `center`'s subtree that this user may see, as `events_in` (where the user's
        subtree and the center's together made it count a town's cases four times slower)."""
        from disputes.models import Dispute

        rule = EVERYTHING if self.everything else DISPUTES_BY_ROLE.get(self.role, NOTHING)
        queryset = Dispute.objects.all() if self.covers(rule, center) else self.disputes()
        return queryset.filter(origin_center_id__in=center_subtree(center))

    def listed_center(self, value) -> Center | None:
        """The center a list names (`?center=<id>`) when it lies in this user's area, read without its
        outline and with its subtree's ids in the same query (`center_subtree`); None for anything else
        (the list's filter then answers 400). One fixed statement: building it through the ORM (an
        array subquery with an outer reference) cost more than running it (bench-intake's list)."""
        try:
            pk = int(value)
        except (TypeError, ValueError):
            return None
        if not 0 < pk < 2**63 or (self.area != EVERYTHING and (self.center_path is None or self.area != SUBTREE)):
            return None
        inside, params = "", [SUBTREE_LIST_LIMIT + 1, pk]
        if self.area != EVERYTHING:
            inside, params = " AND c.path LIKE %s", [*params, _like_prefix(self.center_path)]
        with connection.cursor() as cursor:
            cursor.execute(_LISTED_CENTER_SQL + inside, params)
            row = cursor.fetchone()
        if row is None:
            return None
        center = Center.from_db(connection.alias, _LISTED_CENTER_FIELDS, row[:-1])
        center.subtree = row[-1]
        return center

    def special_people(self, queryset=None) -> QuerySet:
        """Special-population persons this user may see, by `CARE_BY_ROLE` (none if unlisted). The
        AUTHORISED rule costs one query (the user's permission); the others none."""
        from care.models import HelperMember, SpecialPerson

        queryset = SpecialPerson.objects.all() if queryset is None else queryset
        rule = EVERYTHING if self.everything else CARE_BY_ROLE.get(self.role, NOTHING)
        if rule == EVERYTHING:
            return queryset
        if rule == NOTHING or self.user_id is None:
            return queryset.none()
        from django.db.models import Exists, OuterRef

        assigned = SpecialPerson.workers.through.objects.filter(specialperson_id=OuterRef("pk"), user_id=self.user_id)
        team = HelperMember.objects.filter(person_id=OuterRef("pk"), user_id=self.user_id)
        mine = Exists(assigned) | Exists(team)
        if rule == DEPARTMENT and self.department_id is not None and self.center_path is not None:
            in_area = Q(department_id=self.department_id, center__path__startswith=self.center_path)
            return queryset.filter(mine | in_area)
        if rule == AUTHORISED and self.center_path is not None and self.may_see_care():
            return queryset.filter(mine | Q(center__path__startswith=self.center_path))
        return queryset.filter(mine)

    def may_see_care(self) -> bool:
        """Whether this user holds care.view_special_people (directly or through a group)."""
        if self.everything:
            return True
        from django.contrib.auth.models import Permission

        granted = Permission.objects.filter(content_type__app_label="care", codename=CARE_PERMISSION).filter(
            Q(user__pk=self.user_id) | Q(group__user__pk=self.user_id)
        )
        return self.user_id is not None and granted.exists()

    def patrols(self, queryset=None) -> QuerySet:
        """Patrols this user may see, by `PATROLS_BY_ROLE`: their own, or those of the subtree's
        communities."""
        from patrols.models import Patrol

        queryset = Patrol.objects.all() if queryset is None else queryset
        rule = EVERYTHING if self.everything else PATROLS_BY_ROLE.get(self.role, NOTHING)
        if rule == EVERYTHING:
            return queryset
        if rule == OWN_REPORTS:
            return queryset.filter(user_id=self.user_id)
        if rule == SUBTREE and self.center_path is not None:
            return queryset.filter(center__path__startswith=self.center_path)
        return queryset.none()

    def patrol_plans(self, queryset=None) -> QuerySet:
        """Patrol plans this user may see, by `PATROLS_BY_ROLE`: the ones they are assigned to, or
        those of the subtree's communities."""
        from patrols.models import PatrolPlan

        queryset = PatrolPlan.objects.all() if queryset is None else queryset
        rule = EVERYTHING if self.everything else PATROLS_BY_ROLE.get(self.role, NOTHING)
        if rule == EVERYTHING:
            return queryset
        if rule == OWN_REPORTS:
            return queryset.filter(assignees__id=self.user_id)
        if rule == SUBTREE and self.center_path is not None:
            return queryset.filter(center__path__startswith=self.center_path)
        return queryset.none()

    def places(self, queryset=None) -> QuerySet:
        """The grid's places (courtyards, buildings, entrances) of the area this user sees, by
        `AREA_BY_ROLE`: places are part of the map, with no personal data."""
        from grids.models import Place

        queryset = Place.objects.all() if queryset is None else queryset
        return queryset.filter(self.center_q("grid__center"))

    @property
    def force(self) -> str:
        return EVERYTHING if self.everything else FORCE_BY_ROLE.get(self.role, NOTHING)

    def volunteers(self, queryset=None) -> QuerySet:
        """Volunteers this user may see, by the role's rule in `FORCE_BY_ROLE` (none if unlisted): in a
        subtree, a volunteer of one of its grids, of one of its organizations, or whose account
        belongs to one of its centers."""
        from django.db.models import Exists, OuterRef

        from grids.models import Volunteer

        queryset = Volunteer.objects.all() if queryset is None else queryset
        rule = self.force
        if rule == EVERYTHING:
            return queryset
        if rule == OWN_REPORTS:
            return queryset.filter(user_id=self.user_id)
        if rule == GRID_WORK:
            mine = Grid.workers.through.objects.filter(user_id=self.user_id, grid_id=OuterRef("grid_id"))
            return queryset.filter(Exists(mine))
        if rule == SUBTREE and self.center_path is not None:
            path = self.center_path
            return queryset.filter(
                Q(grid__center__path__startswith=path)
                | Q(organization__center__path__startswith=path)
                | Q(user__center__path__startswith=path)
            )
        return queryset.none()

    @property
    def video(self) -> str:
        return EVERYTHING if self.everything else VIDEO_BY_ROLE.get(self.role, NOTHING)

    def may_watch_video(self) -> bool:
        """Whether this user holds video.watch_cameras (directly or through a group): one query."""
        if self.everything:
            return True
        from django.contrib.auth.models import Permission

        granted = Permission.objects.filter(content_type__app_label="video", codename=VIDEO_PERMISSION).filter(
            Q(user__pk=self.user_id) | Q(group__user__pk=self.user_id)
        )
        return self.user_id is not None and granted.exists()

    def cameras(self, queryset=None) -> QuerySet:
        """Cameras this user may see and (consent permitting, for a household's) watch, by
        `VIDEO_BY_ROLE` (none if unlisted). The subtree is a subquery of center ids (no query of its
        own; the AUTHORISED rule one for the permission), so the condition rides on any index scan
        over cameras."""
        from video.models import Camera

        queryset = Camera.objects.all() if queryset is None else queryset
        rule = self.video
        if rule == EVERYTHING:
            return queryset
        if rule == OWN_CAMERAS and self.user_id is not None:
            return queryset.filter(owner_id=self.user_id)
        if rule == AUTHORISED and not self.may_watch_video():
            return queryset.none()
        if rule in (SUBTREE, AUTHORISED) and self.center_path is not None:
            # The subtree's centers as a subquery, hashed once per query: no round trip of its own, and
            # the nearest-camera KNN scan checks each row against it (bench/cameras.py).
            return queryset.filter(center_id__in=Center.objects.filter(path__startswith=self.center_path).values("id"))
        return queryset.none()

    def cameras_sql(self) -> tuple[str, dict] | None:
        """`cameras()` as an SQL condition on video_camera's columns (with its named parameters), for
        the nearest-camera query written in SQL (video.selectors.camera_nearest); None: no camera.
        The same rule: tests/video/test_services.py compares both on many random cases."""
        rule = self.video
        if rule == EVERYTHING:
            return "TRUE", {}
        if rule == OWN_CAMERAS and self.user_id is not None:
            return "owner_id = %(scope_user)s", {"scope_user": self.user_id}
        if rule == AUTHORISED and not self.may_watch_video():
            return None
        if rule in (SUBTREE, AUTHORISED) and self.center_path is not None:
            # A path is digits and "/": no LIKE wildcard to escape.
            subtree = "center_id IN (SELECT id FROM grids_center WHERE path LIKE %(scope_path)s)"
            return subtree, {"scope_path": self.center_path + "%"}
        return None

    def alarms(self, queryset: QuerySet, *, center: str, department: str) -> QuerySet:
        """Rows of the alarms app this user may see, by `ALARMS_BY_ROLE`: `center` names the lookup
        to the device's center (SUBTREE), `department` to the source's owning department."""
        rule = EVERYTHING if self.everything else ALARMS_BY_ROLE.get(self.role, NOTHING)
        if rule == EVERYTHING:
            return queryset
        if rule == DEPARTMENT and self.department_id is not None:
            return queryset.filter(**{department: self.department_id})
        if rule == SUBTREE and self.center_path is not None:
            return queryset.filter(**{f"{center}__path__startswith": self.center_path})
        return queryset.none()

    def filter_by_center(self, queryset: QuerySet, field: str = "center") -> QuerySet:
        """Any queryset whose rows belong to a center, limited to this scope."""
        return queryset.filter(self.center_q(field))


SUBTREE_LIST_LIMIT = 5000


def _like_prefix(text: str) -> str:
    """A LIKE pattern for "starts with `text`" (as Django's `startswith`: its wildcards escaped)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


# Scope.listed_center's statement: a center without its outline, and its subtree's ids (the paths that
# start with its path, as subtree_ids). The prefix is an outer reference, which a LIKE cannot take to
# the path index (a scan of every center, outlines and all: 0.35 ms of a list's 10); as the range
# [path, path + the last code point) of the index's byte order, it can (0.05 ms), and starts_with keeps
# the answer exact whatever a path holds.
_LISTED_CENTER_FIELDS = [f.attname for f in Center._meta.concrete_fields if f.name != "boundary"]
_LISTED_CENTER_SQL = (
    "SELECT "
    + ", ".join(f'c."{f.column}"' for f in Center._meta.concrete_fields if f.name != "boundary")
    + """, ARRAY(SELECT s.id FROM grids_center s
        WHERE s.path ~>=~ c.path AND s.path ~<~ (c.path || chr(1114111)) AND starts_with(s.path, c.path)
        LIMIT %s)
    FROM grids_center c WHERE c.id = %s"""
)


def subtree_ids(path: str):
    """The ids of the centers in the subtree at `path`: a list of numbers, which lets PostgreSQL
    estimate (and plan) an event query well; a subquery for the rare subtree too big for a list."""
    ids = list(Center.objects.filter(path__startswith=path).values_list("id", flat=True)[: SUBTREE_LIST_LIMIT + 1])
    if len(ids) > SUBTREE_LIST_LIMIT:
        return Center.objects.filter(path__startswith=path).values("id")
    return ids


def center_subtree(center: Center):
    """`subtree_ids(center.path)`, taken from the ids read with the center when `Scope.listed_center`
    read them (no second query)."""
    ids = getattr(center, "subtree", None)
    if ids is None or len(ids) > SUBTREE_LIST_LIMIT:
        return subtree_ids(center.path)
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
