"""Codes of the special-population records (四类特殊人群)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PersonType(models.TextChoices):
    CORRECTION = "correction", _("Community correction subject")
    RELEASED = "released", _("Released prisoner")
    DRUG = "drug", _("Community drug rehabilitation subject")
    MENTAL = "mental", _("Severe mental disorder patient")


class Risk(models.TextChoices):
    LOW = "low", _("Low risk")
    MEDIUM = "medium", _("Medium risk")
    HIGH = "high", _("High risk")


class Status(models.TextChoices):
    IN_CARE = "in_care", _("In care")
    LOST = "lost", _("Lost contact")
    ENDED = "ended", _("Care ended")


class Gender(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class EndReason(models.TextChoices):
    TERM_ENDED = "term_ended", _("Term or help period completed")
    MOVED_AWAY = "moved_away", _("Moved out of the area")
    RECOVERED = "recovered", _("Recovered or rehabilitated")
    DIED = "died", _("Died")
    IN_CUSTODY = "in_custody", _("Taken into custody or hospital")
    OTHER = "other", _("Other")


class VisitMethod(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    PHONE = "phone", _("By phone")
    VIDEO = "video", _("By video")
    WITH_POLICE = "with_police", _("With the police")
    WITH_DOCTOR = "with_doctor", _("With a doctor")


class TeamRole(models.TextChoices):
    POLICE = "police", _("Police officer")
    GRID_WORKER = "grid_worker", _("Grid worker")
    FAMILY = "family", _("Family member")
    VOLUNTEER = "volunteer", _("Volunteer")
    DOCTOR = "doctor", _("Doctor")
    JUSTICE = "justice", _("Judicial officer")
    CADRE = "cadre", _("Community cadre")


class Action(models.TextChoices):
    """The steps of a person's timeline (CareAction)."""

    CREATE = "create", _("Record created")
    VISIT = "visit", _("Visit recorded")
    CORRECT = "correct", _("Visit corrected")
    RISK = "risk", _("Risk level changed")
    ASSIGN = "assign", _("Workers or helping team changed")
    LOST_CONTACT = "lost_contact", _("Lost contact")
    FOUND = "found", _("Found again")
    END = "end", _("Care ended")
    WARN = "warn", _("Visit clock")


class Via(models.TextChoices):
    """Where a view of a person's record came from (PersonView)."""

    PAGE = "page", _("Page")
    API = "api", _("API")
    EXPORT = "export", _("Export")
    ADMIN = "admin", _("Administration")
