"""Template helpers of the video pages: who sees the video links, and rates as percentages."""

from django import template

register = template.Library()


@register.filter
def percent(rate) -> str:
    """0.9234 → "92.3%"; no rate (no camera) → "—"."""
    if rate is None:
        return "—"
    return f"{rate * 100:.1f}%"


@register.simple_tag
def video_links(user) -> dict:
    """Which video pages the nav offers the user: the cameras (and walls) or the household's own."""
    from video.views import may_use_video, runs_walls

    if not getattr(user, "is_authenticated", False):
        return {}
    if user.role == "resident":
        return {"mine": True}
    return {"cameras": may_use_video(user), "walls": runs_walls(user)}


@register.simple_tag
def video_purposes() -> list[tuple[str, str]]:
    """The purposes a viewer chooses from (the owner's own watching is not one of them)."""
    from video.choices import Purpose

    return [(value, label) for value, label in Purpose.choices if value != Purpose.OWN]
