"""The platform's user: a role, the center they work at, and their department."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
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
