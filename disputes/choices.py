"""The words of dispute mediation (矛盾纠纷多元化解): states, actions, channels, roles."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class State(models.TextChoices):
    RECEIVED = "received", _("Taken in")  # 待受理: registered, waiting for the center's triage
    MEDIATING = "mediating", _("Under mediation")  # 调解中: accepted, mediators named
    SUSPENDED = "suspended", pgettext_lazy("dispute", "Suspended")  # 中止: paused, its time does not count
    AGREED = "agreed", _("Agreement reached")  # 已达成协议: performance and follow-up visits
    CLOSED = "closed", _("Closed")  # 已结案: the agreement performed
    FAILED = "failed", _("Mediation failed")  # 调解不成 / 终止: the parties guided to another channel
    WITHDRAWN = "withdrawn", _("Withdrawn")  # 撤回
    REFERRED = "referred", _("Referred")  # 移交: handed to another channel at triage


class Action(models.TextChoices):
    REPORT = "report", _("Take in")
    ACCEPT = "accept", _("Accept for mediation")
    REFER = "refer", _("Refer to another channel")
    ESCALATE = "escalate", _("Escalate")
    ASSIGN = "assign", _("Name mediators")
    REFUSE = "refuse", _("A party refuses mediation")
    EXTEND = "extend", _("Extend the mediation")
    SUSPEND = "suspend", pgettext_lazy("dispute", "Suspend the mediation")
    RESUME = "resume", _("Resume")
    SESSION = "session", _("Mediation session")
    INVESTIGATE = "investigate", _("Investigation record")
    AGREE = "agree", pgettext_lazy("dispute", "Record the agreement")
    TERMINATE = "terminate", _("Terminate (mediation failed)")
    WITHDRAW = "withdraw", pgettext_lazy("dispute", "Withdraw")
    DOCUMENT = "document", _("Document")
    FOLLOW_UP = "follow_up", _("Follow-up visit")
    PERFORM = "perform", _("Obligation performed")
    BREACH = "breach", _("Agreement breached: mediate again")
    CLOSE = "close", _("Close")
    CONFIRM = "confirm", _("Judicial confirmation")
    RISK = "risk", _("Risk level")
    URGE = "urge", _("Urge")
    WARN = "warn", _("Warning")
    ALARM = "alarm", _("Alarm")
    LINK = "link", _("Link an event")
    ATTACH = "attach", _("Add files")


class Intake(models.TextChoices):
    """How a dispute came in (来源渠道)."""

    WALK_IN = "walk_in", _("Walk-in at a center's window")
    GRID = "grid", pgettext_lazy("dispute", "Reported by a grid worker")
    HOTLINE = "hotline", _("12345 hotline")
    POLICE = "police", _("Police (110) transfer")
    COURT_DELEGATED = "court_delegated", _("Court referral before filing (委派)")
    COURT_ENTRUSTED = "court_entrusted", _("Court referral after filing (委托)")
    PETITION = "petition", _("Petition (信访)")
    SWEEP = "sweep", _("Found in a sweep of the grid (排查)")
    EVENT = "event", _("Converted from an event")


class Channel(models.TextChoices):
    """Where a dispute is resolved (多元化解): people's mediation here, or another channel."""

    PEOPLES = "peoples", _("People's mediation")
    ADMINISTRATIVE = "administrative", _("Administrative mediation")
    POLICE = "police", _("Police mediation (警调)")
    COURT = "court", _("Court-connected mediation (诉调)")
    PETITION = "petition", _("Petition mediation (访调)")
    ARBITRATION = "arbitration", _("Arbitration")
    LABOUR_ARBITRATION = "labour_arbitration", _("Labour arbitration")
    LEGAL_AID = "legal_aid", _("Legal aid")
    LITIGATION = "litigation", _("Litigation guidance")


class PartyRole(models.TextChoices):
    APPLICANT = "applicant", _("Applicant")
    RESPONDENT = "respondent", _("Respondent")
    THIRD_PARTY = "third_party", _("Third party")
    AGENT = "agent", _("Agent")


class PartyKind(models.TextChoices):
    PERSON = "person", _("Person")
    ORGANISATION = "organisation", _("Organisation")


class Risk(models.TextChoices):
    """Four colour levels of risk (风险等级)."""

    NONE = "", _("Not assessed")
    BLUE = "blue", _("Blue: latent, watched")
    YELLOW = "yellow", _("Yellow: family and neighbours")
    ORANGE = "orange", _("Orange: may escalate")
    RED = "red", _("Red: cross-department")


class Signal(models.TextChoices):
    """Signs that a dispute may turn criminal (民转刑) or become a group dispute."""

    THREATS = "threats", _("Threats")
    VIOLENCE = "violence", _("Violence")
    WEAPONS = "weapons", _("Weapons")
    POLICE_HISTORY = "police_history", _("A history of police calls")
    GROUP = "group", _("Group dispute")
    EXTREME = "extreme", _("Extreme words or acts (self-harm, petitions in numbers)")


class Phase(models.TextChoices):
    """A dispute's escalating clocks: one runs at a time (clocks.moments)."""

    ACCEPT = "accept", _("Acceptance")
    MEDIATE = "mediate", _("Mediation")


class Light(models.TextChoices):
    GREEN = "green", _("Green")
    YELLOW = "yellow", _("Yellow")
    RED = "red", _("Red")


class AgreementForm(models.TextChoices):
    """人民调解法 art. 28: written, or for simple matters oral, recorded by the mediator."""

    WRITTEN = "written", _("Written agreement")
    ORAL = "oral", _("Oral agreement")


class ReminderKind(models.TextChoices):
    """Dates after the agreement that the sweep warns of once each."""

    FOLLOW_UP = "follow_up", _("Follow-up visit due")
    OBLIGATION = "obligation", _("Obligation due")
    CONFIRMATION = "confirmation", _("Judicial confirmation window closing")


class DocumentKind(models.TextChoices):
    AGREEMENT = "agreement", _("Mediation agreement (调解协议书)")
    SESSION_RECORD = "session_record", _("Session record (调解笔录)")
    OTHER = "other", _("Other")


class DocumentState(models.TextChoices):
    GENERATED = "generated", _("Generated, not signed")
    SIGNED = "signed", _("Signed scan")


class VisitMethod(models.TextChoices):
    VISIT = "visit", _("Home visit")
    PHONE = "phone", _("Phone call")
    VIDEO = "video", _("Video call")


class Performance(models.TextChoices):
    PERFORMED = "performed", _("Performed")
    PARTLY = "partly", _("Partly performed")
    NOT_DUE = "not_due", _("Not yet due")
    BREACHED = "breached", _("Not performed")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY = "basically", _("Basically satisfied")
    DISSATISFIED = "dissatisfied", _("Dissatisfied")


class ConfirmationRuling(models.TextChoices):
    PENDING = "", _("Pending")
    VALID = "valid", _("Confirmed valid")
    INVALID = "invalid", _("Application rejected (not confirmed)")
    REFUSED = "refused", _("Not accepted by the court")


class GroupBand(models.TextChoices):
    """Group size bands of the dispute report (群体性: by number of people)."""

    UNDER_50 = "lt50", _("Under 50")
    FROM_50 = "50_100", _("50–100")
    FROM_100 = "100_500", _("100–500")
    OVER_500 = "gt500", _("Over 500")


def group_band(people: int) -> str:
    """The band of a number of people (50, 100 and 500 start the next band)."""
    if people > 500:
        return GroupBand.OVER_500
    if people >= 100:
        return GroupBand.FROM_100
    if people >= 50:
        return GroupBand.FROM_50
    return GroupBand.UNDER_50
