"""The platform's user: a role, the center they work at, and their department."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    DUTY_OFFICER = "duty_officer", _("Duty officer")
    DUTY_LEADER = "duty_leader", _("Duty leader")
    CENTER_STAFF = "center_staff", _("Center staff")
    GRID_WORKER = "grid_worker", _("Grid worker")
    VOLUNTEER = "volunteer", _("Volunteer")
    DEPARTMENT_STAFF = "department_staff", _("Department staff")
    MEDIATOR = "mediator", _("Mediator")
    ADMIN = "admin", _("Administrator")
    # A household that registered its own camera (慧眼): sees and watches only its own cameras,
    # gives and revokes consent, reads who watched them (video app).
    RESIDENT = "resident", _("Resident (household)")


class User(AbstractUser):
    """A person who signs in: what they may see follows from `role`, `center` and `department`
    (see `accounts.scope`)."""

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.CENTER_STAFF)
    center = models.ForeignKey(
        "grids.Center", verbose_name=_("center"), null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    department = models.ForeignKey(
        "grids.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=~Q(role=Role.DEPARTMENT_STAFF) | Q(department__isnull=False),
                name="department_staff_has_department",
                violation_error_message=_("Department staff must belong to a department."),
            ),
        ]

    def __str__(self) -> str:
        full = self.get_full_name()
        return f"{full} ({self.username})" if full else self.username

    def get_full_name(self) -> str:
        # Chinese names are written family name first, without a space.
        return f"{self.last_name}{self.first_name}".strip()


class ApiToken(models.Model):
    """An API key of one user on one client (a phone, a script, a wall display's player).

    Only the SHA-256 of the key is stored: the key itself is shown once, when it is issued, so a copy
    of the database (a backup, a replica, a read-only support login) holds no usable credential. The
    key is 256 random bits, so a plain fast hash is enough (nothing to brute-force, unlike a password).
    A token dies at `expires_at` however much it is used (a fixed lifetime, API_TOKEN_LIFETIME_HOURS),
    on sign-out, and with every token of its user on a password change or deactivation
    (`accounts.services`)."""

    digest = models.CharField(_("key digest"), max_length=64, primary_key=True)
    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens")
    client = models.CharField(_("client"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("issued at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        # A prefix of the digest, never the key (which is not stored): enough to tell tokens apart.
        return f"{self.user_id}:{self.digest[:8]}"
