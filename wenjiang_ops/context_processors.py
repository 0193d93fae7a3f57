from django.conf import settings
from django.utils.functional import SimpleLazyObject


def site(request):
    """Values every page's layout needs (the unread count only when a page asks for it)."""

    def unread():
        from inbox.selectors import unread_count

        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return 0
        return unread_count(user=user)

    return {
        "MAP_TILE_URL": settings.MAP_TILE_URL,
        "MAP_TILE_ATTRIBUTION": settings.MAP_TILE_ATTRIBUTION,
        "unread_count": SimpleLazyObject(unread),
        "LIVE_WS_PORT": settings.LIVE_WS_PORT,
    }
