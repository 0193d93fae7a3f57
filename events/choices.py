from django.db import models
from django.utils.translation import gettext_lazy as _


class State(models.TextChoices):
    REPORTED = "reported", _("Reported")
    ACCEPTED = "accepted", _("Accepted")
    SELF_HANDLED = "self_handled", _("Handled on the spot")
    DISPATCHED = "dispatched", _("Awaiting sign-off")
    IN_PROGRESS = "in_progress", _("In progress")
    HANDLED = "handled", _("Handled")
    VERIFYING = "verifying", _("Being verified")
    CLOSED = "closed", _("Closed")
    REJECTED = "rejected", _("Rejected")
    MERGED = "merged", _("Merged")
    SUSPENDED = "suspended", _("Suspended")


class Action(models.TextChoices):
    REPORT = "report", _("Report")
    ACCEPT = "accept", _("Accept")
    REJECT = "reject", _("Reject")
    MERGE = "merge", _("Merge")
    SELF_HANDLE = "self_handle", _("Handle on the spot")
    DISPATCH = "dispatch", _("Dispatch")
    SIGN = "sign", _("Sign for")
    RETURN = "return", _("Return")
    HANDLE = "handle", _("Report handled")
    VERIFY_PASS = "verify_pass", _("Verification passed")
    VERIFY_FAIL = "verify_fail", _("Verification failed")
    ESCALATE = "escalate", _("Escalate")
    SUSPEND = "suspend", _("Suspend")
    RESUME = "resume", _("Resume")
    REQUEST_EXTENSION = "request_extension", _("Request an extension")
    APPROVE_EXTENSION = "approve_extension", _("Approve the extension")
    REFUSE_EXTENSION = "refuse_extension", _("Refuse the extension")
    URGE = "urge", _("Urge")
    SUPERVISE = "supervise", _("Supervise")
    REPLY = "reply", _("Reply")
    REOPEN = "reopen", _("Reopen")
    WARN = "warn", _("Warning")
    ATTACH = "attach", _("Add photos")
    RATE = "rate", _("Satisfaction rated")


class Source(models.TextChoices):
    PATROL = "patrol", _("Grid patrol")
    VOLUNTEER = "volunteer", _("Volunteer")
    CITIZEN = "citizen", _("Citizen")
    VIDEO = "video", _("Video patrol")
    IOT = "iot", _("IoT sensing")
    HOTLINE = "hotline", _("12345 hotline")


class Phase(models.TextChoices):
    ACCEPT = "accept", _("Acceptance")
    SIGN = "sign", _("Sign-off")
    HANDLE = "handle", _("Handling")
    VERIFY = "verify", _("Verification")


class Light(models.TextChoices):
    GREEN = "green", _("Green")
    YELLOW = "yellow", _("Yellow")
    RED = "red", _("Red")


class Supervision(models.TextChoices):
    NONE = "none", _("None")
    URGE = "urge", _("Urged")
    YELLOW_CARD = "yellow_card", _("Yellow card")
    RED_CARD = "red_card", _("Red card")


class Extension(models.TextChoices):
    NONE = "none", _("None")
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")


class AssignmentRole(models.TextChoices):
    LEAD = "lead", _("Lead")
    ASSIST = "assist", _("Assisting")


class AssignmentState(models.TextChoices):
    DISPATCHED = "dispatched", _("Awaiting sign-off")
    SIGNED = "signed", _("Signed for")
    HANDLED = "handled", _("Handled")
    RETURNED = "returned", _("Returned")
