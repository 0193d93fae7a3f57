"""The video pages: the camera map and list with online rates, the video wall of a center (layouts,
patrol tours, the unattended big screen), tours, and the household's phone page (its cameras, live,
consent, who watched). Pages are shells over the API (static/video/*.js plays through
/api/cameras/{id}/play/); views read through selectors or call one service, and render."""

from __future__ import annotations

from datetime import datetime, time
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Case, When
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Role
from accounts.scope import AUTHORISED, EVERYTHING, NOTHING, SUBTREE, scope_for
from grids.selectors import home_area_outlines

from . import selectors, services
from .choices import CONSENT_PURPOSES, CameraStatus, Network, Purpose
from .domain import walls as walls_domain
from .forms import CameraForm
from .models import Camera, Wall

PAGE_SIZE = 25


def may_use_video(user) -> bool:
    """Whether the user sees any camera (the nav shows the video pages to them)."""
    if not user.is_authenticated:
        return False
    rule = scope_for(user).video
    return rule != NOTHING and (rule != AUTHORISED or scope_for(user).may_watch_video())


def runs_walls(user) -> bool:
    """Center roles run walls and tours (services.visible_walls: the scope's EVERYTHING or SUBTREE)."""
    return user.is_authenticated and scope_for(user).video in (EVERYTHING, SUBTREE)


def _camera_row(camera: Camera) -> dict:
    return {
        "id": camera.pk,
        "name": camera.name,
        "network": camera.network,
        "status": camera.status,
        "household": camera.household,
    }


@login_required
def cameras(request):
    """The registry as a map and a list, filtered by network and status, with the online rate by
    network, town and community."""
    user = request.user
    if user.role == Role.RESIDENT:
        return redirect("video:mine")
    if not may_use_video(user):
        raise PermissionDenied(_("You may not see cameras."))
    network = request.GET.get("network") or None
    status = request.GET.get("status") or None
    search = request.GET.get("q", "").strip()[:100] or None
    if network not in (None, *Network.values) or status not in (None, *CameraStatus.values):
        network = status = None
        messages.error(request, _("Unknown filter; showing every camera."))
    queryset = selectors.camera_list(user, network=network, status=status, search=search).select_related("center")
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    rates = {by: selectors.camera_online_rate(user, by=by) for by in ("network", "town", "community")}
    bounds, outlines = home_area_outlines(user)
    return render(
        request,
        "video/cameras.html",
        {
            "page": page,
            "query": urlencode({k: v for k, v in (("network", network), ("status", status), ("q", search)) if v}),
            "network": network or "",
            "status": status or "",
            "search": search or "",
            "networks": Network.choices,
            "statuses": CameraStatus.choices,
            "rates": rates,
            "purposes": [(p, label) for p, label in Purpose.choices if p != Purpose.OWN],
            "bounds": bounds,
            "outlines": outlines,
            "may_manage": runs_walls(user),
        },
    )


def _camera_page(request, *, camera: Camera | None):
    """The add / edit form of one camera: the form parses, `camera_create` / `camera_update` decide
    (their field errors shown at the fields; nothing is written when they refuse)."""
    user = request.user
    form = CameraForm(request.POST or None, initial=CameraForm.initial_of(camera) if camera else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                if camera is None:
                    saved = services.camera_create(actor=user, data=form.service_data())
                else:
                    saved = services.camera_update(actor=user, camera_id=camera.pk, data=form.service_data())
            except ValidationError as exc:
                form.add_service_errors(exc)
            except services.NotVisible as exc:
                raise Http404(str(exc)) from exc
            else:
                text = _("Camera “%(name)s” added.") if camera is None else _("Camera “%(name)s” saved.")
                messages.success(request, text % {"name": saved.name})
                return redirect(f"{reverse('video:cameras')}?{urlencode({'q': saved.code})}")
        status = 400
    bounds, outlines = home_area_outlines(user)
    history = list(camera.status_changes.order_by("-at", "-id")[:HISTORY_SHOWN]) if camera else []
    return render(
        request,
        "video/camera_form.html",
        {"form": form, "camera": camera, "bounds": bounds, "outlines": outlines, "history": history},
        status=status,
    )


HISTORY_SHOWN = 10


def _may_manage_cameras(user) -> None:
    """Center roles manage the cameras of their subtree (the services check it again, per camera)."""
    if not runs_walls(user):
        raise PermissionDenied(_("Only a center's staff or an administrator manage cameras."))


@login_required
@require_http_methods(["GET", "POST"])
def camera_new(request):
    """Registers a camera in the user's area."""
    _may_manage_cameras(request.user)
    return _camera_page(request, camera=None)


@login_required
@require_http_methods(["GET", "POST"])
def camera_edit(request, pk: int):
    """Changes a camera of the user's area (404 for one outside it)."""
    _may_manage_cameras(request.user)
    camera = scope_for(request.user).cameras(Camera.objects.select_related("owner")).filter(pk=pk).first()
    if camera is None:
        raise Http404(_("No such camera in your area."))
    return _camera_page(request, camera=camera)


PICK_LIMIT = 300


def _patrol_cameras(user) -> list[Camera]:
    """Cameras to pick into a wall's tiles or a tour: streamed ones the user may watch for patrol,
    online first."""
    return list(
        selectors.camera_list(user)
        .filter(selectors.watchable_q(user, purpose=Purpose.PATROL))
        .exclude(stream="")
        .select_related("center")
        .order_by(Case(When(status=CameraStatus.ONLINE, then=0), default=1), "name")[:PICK_LIMIT]
    )


def _wall_state(user, wall: Wall) -> dict:
    """What the wall's script needs: the layout shown (tiles and cameras), or the tour running with
    its frames (only cameras the user may watch for patrol) and when it started."""
    state: dict = {"id": wall.pk, "name": wall.name, "layout": None, "tour": None}
    if wall.tour_id and wall.tour_started_at:
        frames = selectors.tour_frames(user, wall.tour)
        index, seconds_left = 0, frames[0].dwell if frames else 0
        if frames:  # which frame shows now, by the server's clock (every screen agrees)
            elapsed = (timezone.now() - wall.tour_started_at).total_seconds()
            plain = [
                walls_domain.Frame(cameras=tuple(c.pk for c in f.cameras), dwell=f.dwell, step=f.step) for f in frames
            ]
            index, seconds_left = walls_domain.frame_at(plain, elapsed)
        state["tour"] = {
            "frame_now": {"index": index, "seconds_left": seconds_left},
            "id": wall.tour_id,
            "name": wall.tour.name,
            "tiles": wall.tour.tiles,
            "started_at": wall.tour_started_at.isoformat(),
            "frames": [{"cameras": [_camera_row(c) for c in f.cameras], "dwell": f.dwell} for f in frames],
        }
    elif wall.layout_id:
        visible = {
            c.pk: c
            for c in scope_for(user).cameras(Camera.objects.filter(pk__in=wall.layout.slots.values("camera_id")))
        }
        state["layout"] = {
            "id": wall.layout_id,
            "name": wall.layout.name,
            "tiles": wall.layout.tiles,
            "slots": [
                {"position": s.position, "camera": _camera_row(visible[s.camera_id])}
                for s in wall.layout.slots.all()
                if s.camera_id in visible
            ],
        }
    return state


@login_required
@require_http_methods(["GET", "POST"])
def wall(request):
    """A center's video wall: 1/4/9/16 tiles, cameras picked into tiles and saved as layouts, patrol
    tours that switch the wall by themselves; `?screen=1` is the big screen (no chrome, runs the
    wall's tour unattended)."""
    user = request.user
    if not runs_walls(user):
        raise PermissionDenied(_("Video walls are run by the centers."))
    walls = list(selectors.walls_list(user))
    if request.method == "POST":  # a new wall for the user's center
        try:
            created = services.wall_create(user=user, center_id=user.center_id, name=request.POST.get("name", ""))
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return redirect("video:wall")
        except (services.NotVisible, PermissionDenied) as exc:
            raise PermissionDenied(str(exc)) from exc
        return redirect(f"{request.path}?wall={created.pk}")
    chosen = None
    wanted = request.GET.get("wall")
    if wanted:
        chosen = next((w for w in walls if str(w.pk) == wanted), None)
        if chosen is None:
            raise Http404(_("No such wall in your area."))
    elif walls:
        chosen = next((w for w in walls if w.center_id == user.center_id), walls[0])
    screen = request.GET.get("screen") == "1"
    context = {
        "walls": walls,
        "wall": chosen,
        "state": _wall_state(user, chosen) if chosen else None,
        "layouts": list(chosen.layouts.order_by("name")) if chosen else [],
        "tours": list(selectors.tours_list(user)),
        "screen": screen,
        "tile_choices": (1, 4, 9, 16),
        "cameras": [] if screen else _patrol_cameras(user),
    }
    return render(request, "video/wall_screen.html" if screen else "video/wall.html", context)


@login_required
@require_POST
def wall_show(request, pk: int):
    """Shows a saved layout, or starts a tour, on a wall (the form's buttons on the wall page)."""
    layout = request.POST.get("layout") or None
    tour = request.POST.get("tour") or None
    try:
        services.wall_show(
            user=request.user,
            wall_id=pk,
            layout_id=int(layout) if layout else None,
            tour_id=int(tour) if tour else None,
        )
    except (ValueError, ValidationError):
        messages.error(request, _("Choose a layout or a tour."))
    except services.NotVisible as exc:
        raise Http404(str(exc)) from exc
    return redirect(f"/video/wall/?wall={pk}")


@login_required
@require_POST
def layout_save(request, pk: int):
    """Saves the wall's tiles (a camera picked into each) as a named layout, and shows it."""
    tiles = request.POST.get("tiles", "4")
    slots = [
        {"position": key.removeprefix("slot_"), "camera": value}
        for key, value in request.POST.items()
        if key.startswith("slot_") and value.strip()
    ]
    try:
        services.wall_layout_save(
            user=request.user, wall_id=pk, name=request.POST.get("name", ""), tiles=tiles, slots=slots
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    except services.NotVisible as exc:
        raise Http404(str(exc)) from exc
    else:
        messages.success(request, _("Layout saved and shown on the wall."))
    return redirect(f"/video/wall/?wall={pk}")


def _tour_rows(post) -> list[dict]:
    cameras = post.getlist("step_camera")
    dwells = post.getlist("step_dwell")
    return [{"camera": c, "dwell_seconds": d} for c, d in zip(cameras, dwells, strict=False) if c.strip()]


@transaction.atomic
def _tour_from_rows(user, *, name: str, tiles: str, rows: list[dict]):
    """The tour form's rows (a camera and a dwell each) as a tour. On one tile every camera is a step;
    on 4, 9 or 16 tiles every run of that many cameras becomes a group (one frame of the wall, shown
    for the dwell of its first camera), since a single-camera step fills one frame by itself
    (video.domain.walls). Nothing is written when the tour is refused."""
    try:
        size = int(tiles)
    except ValueError:
        size = 0
    if size <= 1 or not rows:
        return services.tour_save(user=user, center_id=user.center_id, name=name, tiles=tiles, steps=rows)
    steps = []
    for k in range(0, len(rows), size):
        chunk = rows[k : k + size]
        group = services.group_save(
            user=user,
            center_id=user.center_id,
            name=_("%(tour)s · frame %(n)d") % {"tour": name.strip()[:80], "n": k // size + 1},
            camera_ids=[row["camera"] for row in chunk],
        )
        steps.append({"group": group.pk, "dwell_seconds": chunk[0]["dwell_seconds"]})
    return services.tour_save(user=user, center_id=user.center_id, name=name, tiles=tiles, steps=steps)


@login_required
@require_http_methods(["GET", "POST"])
def tours(request):
    """The center's patrol tours: each an ordered list of cameras with a dwell time; a new one here."""
    user = request.user
    if not runs_walls(user):
        raise PermissionDenied(_("Patrol tours are run by the centers."))
    errors: list[str] = []
    if request.method == "POST":
        try:
            tour = _tour_from_rows(
                user,
                name=request.POST.get("name", ""),
                tiles=request.POST.get("tiles", "4"),
                rows=_tour_rows(request.POST),
            )
        except ValidationError as exc:
            errors = exc.messages
        except (services.NotVisible, PermissionDenied) as exc:
            raise PermissionDenied(str(exc)) from exc
        else:
            messages.success(request, _("Tour “%(name)s” saved.") % {"name": tour.name})
            return redirect("video:tours")
    patrol_cameras = _patrol_cameras(user)
    return render(
        request,
        "video/tours.html",
        {
            "tours": [
                (t, list(t.steps.select_related("camera", "group").order_by("position")))
                for t in selectors.tours_list(user)
            ],
            "cameras": patrol_cameras,
            "errors": errors,
            "form": request.POST if request.method == "POST" else None,
            "tile_choices": (1, 4, 9, 16),
        },
        status=400 if errors else 200,
    )


# --- the household's phone page ----------------------------------------------------------------------


def _resident(user) -> None:
    if user.role != Role.RESIDENT:
        raise PermissionDenied(_("This page is for households with their own cameras."))


@login_required
def mine(request):
    """The household's phone page: its cameras (watch live), the consent of each (which centers, for
    what, until when; revoke at any time) and who watched them, when and why."""
    _resident(request.user)
    cameras_ = list(selectors.my_cameras(request.user))
    rows = []
    for camera in cameras_:
        consent = camera.consents_in_force[0] if camera.consents_in_force else None
        rows.append(
            {
                "camera": camera,
                "consent": consent,
                "in_force": consent is not None and (consent.expires_at is None or consent.expires_at > timezone.now()),
                "centers": list(services.camera_area_centers(camera)),
                "chosen_centers": {c.pk for c in consent.centers.all()} if consent else set(),
            }
        )
    viewings = list(selectors.viewings_of_my_cameras(request.user).exclude(user=request.user)[:50])
    return render(
        request,
        "video/mine.html",
        {"rows": rows, "viewings": viewings, "purposes": [(p, Purpose(p).label) for p in CONSENT_PURPOSES]},
    )


def _expiry(value: str) -> datetime | None:
    """The consent's expiry from the form's date (the end of that day), or None (no expiry)."""
    if not value:
        return None
    day = parse_date(value)
    if day is None:
        raise ValidationError({"expires_at": [_("Enter a date.")]})
    return timezone.make_aware(datetime.combine(day, time(23, 59, 59)))


@login_required
@require_POST
def consent_give(request, pk: int):
    _resident(request.user)
    try:
        services.consent_give(
            user=request.user,
            camera_id=pk,
            center_ids=[int(c) for c in request.POST.getlist("centers") if c.isdigit()],
            purposes=request.POST.getlist("purposes"),
            expires_at=_expiry(request.POST.get("expires_at", "")),
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    except services.NotVisible as exc:
        raise Http404(str(exc)) from exc
    else:
        messages.success(request, _("Your consent is saved."))
    return redirect("video:mine")


@login_required
@require_POST
def consent_revoke(request, pk: int):
    _resident(request.user)
    try:
        revoked = services.consent_revoke(user=request.user, camera_id=pk)
    except services.NotVisible as exc:
        raise Http404(str(exc)) from exc
    if revoked:
        messages.success(request, _("Consent withdrawn: from now on no center may watch this camera."))
    return redirect("video:mine")
