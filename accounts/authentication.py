"""API token authentication in one hand-written statement.

DRF's TokenAuthentication builds an ORM query (token joined to user) on every request; building
it costs more than running it, and the API's hottest path (phones reporting) pays it each time.
The statement looks the token up by the SHA-256 of the presented key (the key itself is not stored,
see `accounts.models.ApiToken`) and refuses an expired one in the same statement. The lifetime is
fixed, so using a token writes nothing."""

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from grids.models import Center

from .models import ApiToken, User
from .services import token_digest

_FIELDS = [f.attname for f in User._meta.concrete_fields]
# The user's center comes in the same statement, without its outline (scope_for reads its path on
# every request; the polygon is never needed there, and decoding a district's costs more than the query).
_CENTER_FIELDS = [f.attname for f in Center._meta.concrete_fields if f.name != "boundary"]
_SQL = (
    "SELECT {columns}, {center_columns} FROM {tokens} t JOIN {users} u ON u.id = t.user_id "
    "LEFT JOIN {centers} c ON c.id = u.{center_id} WHERE t.digest = %s AND t.expires_at > %s"
).format(
    columns=", ".join(f"u.{connection.ops.quote_name(f.column)}" for f in User._meta.concrete_fields),
    center_columns=", ".join(
        f"c.{connection.ops.quote_name(f.column)}" for f in Center._meta.concrete_fields if f.name != "boundary"
    ),
    tokens=connection.ops.quote_name(ApiToken._meta.db_table),
    users=connection.ops.quote_name(User._meta.db_table),
    centers=connection.ops.quote_name(Center._meta.db_table),
    center_id=connection.ops.quote_name(User._meta.get_field("center").column),
)


class FastTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`, answered like DRF's TokenAuthentication. `request.auth` is the
    presented key (sign-out revokes it)."""

    def authenticate_credentials(self, key):
        with connection.cursor() as cursor:
            cursor.execute(_SQL, [token_digest(key), timezone.now()])
            row = cursor.fetchone()
        if row is None:
            raise exceptions.AuthenticationFailed(_("Invalid or expired token: sign in again."))
        user = User.from_db(connection.alias, _FIELDS, row[: len(_FIELDS)])
        if user.center_id is not None:
            center = Center.from_db(connection.alias, _CENTER_FIELDS, row[len(_FIELDS) :])
            User.center.field.set_cached_value(user, center)
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return user, key
