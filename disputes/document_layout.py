"""What the pages of a dispute document hold, in order, in the active language: a list of blocks
that `disputes.documents` draws into a PDF or a .docx alike, so the two never say different things.

The wording follows the usual 人民调解协议书 and 调解笔录 forms of the justice bureaus; every phrase is
translated with the context "dispute document" (English msgids, Chinese msgstrs), so the words of
the documents never collide with a page's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Literal

from django.utils.translation import get_language, pgettext

if TYPE_CHECKING:
    from .documents import AgreementContent, PartyFacts, SessionContent

CONTEXT = "dispute document"


def t(message: str, **values) -> str:
    text = pgettext(CONTEXT, message)
    return text % values if values else text


@dataclass(frozen=True)
class Para:
    """A paragraph; `indent`: the first line indented two characters, as Chinese prose is."""

    text: str
    style: Literal["committee", "title", "number", "heading", "body", "plain"] = "body"
    align: Literal["L", "C", "R"] = "L"
    bold: bool = False
    indent: bool = False


@dataclass(frozen=True)
class Gap:
    mm: float


@dataclass(frozen=True)
class Signatures:
    """The signing places, the seal box and the lines beside the seal (committee, date)."""

    signers: tuple[str, ...]
    seal_box: str
    seal_lines: tuple[str, ...]


Block = Para | Gap | Signatures


@dataclass(frozen=True)
class Layout:
    title: str
    footer: str  # with %(page)s and %(pages)s
    blocks: tuple[Block, ...]


def _chinese() -> bool:
    return (get_language() or "").startswith("zh")


def sep() -> str:
    return "，" if _chinese() else ", "


def end() -> str:
    return "。" if _chinese() else "."


DIGITS = "零一二三四五六七八九"


def ordinal(n: int) -> str:
    """一, 二 … 九十九 for Chinese section and item numbers; 1, 2 … otherwise."""
    if not _chinese():
        return str(n)
    if n < 10:
        return DIGITS[n]
    tens, units = divmod(n, 10)
    return ("" if tens == 1 else DIGITS[tens]) + "十" + (DIGITS[units] if units else "")


def day(value: date | None) -> str:
    if value is None:
        return ""
    return t("%(year)d-%(month)02d-%(day)02d", year=value.year, month=value.month, day=value.day)


def moment(value: datetime) -> str:
    return t("%(date)s %(hour)02d:%(minute)02d", date=day(value.date()), hour=value.hour, minute=value.minute)


def role_label(role: str) -> str:
    return {
        "applicant": t("Applicant"),
        "respondent": t("Respondent"),
        "third_party": t("Third party"),
        "agent": t("Agent"),
    }.get(role, role)


def party_line(p: PartyFacts) -> str:
    """申请人：张三，男，汉族，1980 年生，46 岁，…，住址：…，联系电话：…，身份证号码：510115***********X。"""
    bits = [p.name]
    if p.kind == "organisation":
        if p.organisation_code:
            bits.append(t("unified social credit code: %(code)s", code=p.organisation_code))
        if p.address:
            bits.append(t("domicile: %(address)s", address=p.address))
    else:
        if p.sex:
            bits.append(t("male") if p.sex == "M" else t("female"))
        if p.ethnicity:
            bits.append(p.ethnicity)
        if p.birth_year:
            bits.append(t("born in %(year)d", year=p.birth_year))
            if p.age is not None:
                bits.append(t("aged %(age)d", age=p.age))
        if p.occupation:
            bits.append(t("occupation: %(occupation)s", occupation=p.occupation))
        if p.address:
            bits.append(t("address: %(address)s", address=p.address))
        if p.id_number_masked:
            bits.append(t("ID number: %(number)s", number=p.id_number_masked))
    if p.phone:
        bits.append(t("phone: %(phone)s", phone=p.phone))
    if p.is_agent and p.agent_for:
        bits.append(t("agent for %(name)s", name=p.agent_for))
    return t("%(role)s: %(facts)s", role=role_label(p.role), facts=sep().join(bits)) + end()


def sentence(text: str) -> str:
    """The text with a full stop, unless it ends with one already."""
    return text if text.endswith(("。", ".", "！", "!", "？", "?", "；", ";", "：", ":")) else text + end()


def paragraphs(text: str, *, empty: str = "") -> list[Para]:
    """The clerk's text, one indented paragraph per line (blank lines dropped)."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    if not lines:
        return [Para(empty, indent=True)] if empty else []
    return [Para(line, indent=True) for line in lines]


def header(committee: str, title: str, number: str) -> list[Block]:
    return [
        Para(committee, style="committee", align="C", bold=True),
        Gap(2),
        Para(title, style="title", align="C", bold=True),
        Gap(3),
        Para(number, style="number", align="R"),
        Gap(3),
    ]


def heading(n: int, text: str) -> Para:
    return Para(t("%(n)s. %(heading)s", n=ordinal(n), heading=text), style="heading", bold=True)


def agreement(content: AgreementContent) -> Layout:
    """The 人民调解协议书: the parties; the facts, the disputed matters and each side's responsibility;
    the agreed terms and obligations; the method, place and time limit of performance (人民调解法
    art. 29; 若干规定 art. 35); when it takes effect, how many copies; the signing places."""
    none = t("None.")
    blocks: list[Block] = header(content.committee, t("People's Mediation Agreement"), content.number)
    blocks += [Para(party_line(p), style="plain") for p in content.parties]
    blocks.append(Gap(2))
    mediators = "、".join(content.mediators) if _chinese() else ", ".join(content.mediators)
    blocks.append(
        Para(
            t(
                "The parties applied to %(committee)s to mediate their dispute. The committee accepted it and "
                "named %(mediators)s to mediate. Having heard the parties and found the facts, the mediation "
                "stands as follows.",
                committee=content.committee,
                mediators=mediators or t("a mediator"),
            ),
            indent=True,
        )
    )
    n = 0
    for title, text in (
        (t("Main facts of the dispute"), content.facts),
        (t("Disputed matters"), content.claims),
        (t("Responsibility of each party"), content.responsibility),
    ):
        n += 1
        blocks.append(heading(n, title))
        blocks += paragraphs(text, empty=none)
    n += 1
    blocks.append(heading(n, t("The parties, of their own free will, agree as follows")))
    blocks += paragraphs(content.terms, empty=none)
    if content.obligations:
        blocks.append(Para(t("The obligations to perform:"), indent=True))
    for i, o in enumerate(content.obligations, start=1):
        text = t(
            "(%(n)s) %(who)s shall, by %(due)s, %(what)s",
            n=ordinal(i),
            who=o.by or t("the obliged party"),
            due=day(o.due),
            what=o.description.rstrip("。.;；"),
        )
        blocks.append(Para(text + end(), indent=True))
    n += 1
    blocks.append(heading(n, t("Method, place and time limit of performance")))
    method, place = content.performance_method or none, content.performance_place or none
    due = t("by %(date)s", date=day(content.performance_due)) if content.performance_due else none
    blocks.append(Para(sentence(t("Method of performance: %(text)s", text=method)), indent=True))
    blocks.append(Para(sentence(t("Place of performance: %(text)s", text=place)), indent=True))
    blocks.append(Para(sentence(t("Time limit of performance: %(text)s", text=due)), indent=True))
    blocks.append(Gap(2))
    blocks.append(
        Para(
            t(
                "This agreement takes effect when the parties have signed it or put their fingerprints on it, "
                "the mediator has signed it and the people's mediation committee has sealed it. It is made in "
                "%(copies)s copies: each party keeps one and the committee keeps one.",
                copies=ordinal(content.copies),
            ),
            indent=True,
        )
    )
    blocks.append(
        Para(
            t(
                "Where the parties find it necessary, they may jointly apply to the people's court for judicial "
                "confirmation within thirty days of this agreement taking effect."
            ),
            indent=True,
        )
    )
    signers = [
        t("%(role)s (signature/fingerprint):", role=role_label(p.role)) + "\n" + p.name for p in content.principals
    ]
    signers += [t("Mediator (signature):") + "\n" + name for name in content.mediators or ("",)]
    blocks.append(
        Signatures(
            signers=tuple(signers),
            seal_box=t("Seal here"),
            seal_lines=(t("%(committee)s (seal)", committee=content.committee), day(content.date) or blank_date()),
        )
    )
    return Layout(title=t("People's Mediation Agreement"), footer=footer(), blocks=tuple(blocks))


def blank_date() -> str:
    return t("____ year __ month __ day")


def footer() -> str:
    return t("Page %(page)s of %(pages)s", page="%(page)s", pages="%(pages)s")


def session(content: SessionContent) -> Layout:
    """The 调解笔录: time, place, mediators, parties, attendees, the record, and the signatures."""
    blocks: list[Block] = header(content.committee, t("Mediation Session Record"), content.number)
    when = moment(content.starts_at)
    if content.ends_at:
        same_day = content.ends_at.date() == content.starts_at.date()
        until = (
            t("%(hour)02d:%(minute)02d", hour=content.ends_at.hour, minute=content.ends_at.minute)
            if same_day
            else moment(content.ends_at)
        )
        when = t("%(start)s to %(end)s", start=when, end=until)
    mediators = ("、" if _chinese() else ", ").join(content.mediators)
    blocks += [
        Para(t("Case: %(text)s", text=content.title), style="plain"),
        Para(t("Time: %(text)s", text=when), style="plain"),
        Para(t("Place: %(text)s", text=content.place), style="plain"),
        Para(t("Mediators: %(text)s", text=mediators), style="plain"),
    ]
    if content.recorder:
        blocks.append(Para(t("Recorded by: %(text)s", text=content.recorder), style="plain"))
    blocks.append(Para(t("Parties:"), style="plain"))
    blocks += [Para(party_line(p), indent=True) for p in content.parties]
    blocks.append(Para(sentence(t("Also present: %(text)s", text=content.attendees or t("None."))), style="plain"))
    blocks.append(Gap(2))
    blocks.append(Para(t("Record"), style="heading", bold=True))
    blocks += paragraphs(content.notes, empty=t("None."))
    blocks.append(Gap(2))
    blocks.append(
        Para(t("The parties have read this record (or had it read to them) and found it correct."), indent=True)
    )
    signers = [t("%(role)s (signature/fingerprint):", role=role_label(p.role)) + "\n" + p.name for p in content.parties]
    signers += [t("Mediator (signature):") + "\n" + name for name in content.mediators or ("",)]
    signers.append(t("Recorder (signature):") + "\n" + content.recorder)
    blocks.append(
        Signatures(
            signers=tuple(signers),
            seal_box="",
            seal_lines=(day(content.starts_at.date()),),
        )
    )
    return Layout(title=t("Mediation Session Record"), footer=footer(), blocks=tuple(blocks))


def document(content: AgreementContent | SessionContent) -> Layout:
    from .documents import AgreementContent, SessionContent

    if isinstance(content, AgreementContent):
        return agreement(content)
    if isinstance(content, SessionContent):
        return session(content)
    raise TypeError(f"no document layout for {type(content).__name__}")
