"""The official documents of a dispute: the mediation agreement (人民调解协议书) and the session
record (调解笔录), as PDF (fonts embedded, for printing and signing) and as .docx (for a clerk to edit).

Two steps, so that each can be tested alone:
- `agreement_content(dispute)` / `session_content(session)` read the models in a constant number of
  queries into frozen dataclasses (plain facts, no ORM objects, raw codes not labels);
- `render_pdf(content)` / `render_docx(content)` lay them out (`document_layout` says what the pages
  hold, in the document language; this module draws it).

Personal data: only the ID number's stored mask is read, never anything else (the full number is not
stored). Recording who generated a document (CaseView) is the calling service's job.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Prefetch
from django.utils import timezone, translation

from . import document_layout as layout
from .models import Dispute, DisputeMediator, Obligation, Party, Session

# Debian's fonts-noto-cjk (installed by scripts/setup.sh and the Dockerfile). The serif face is the
# 宋体-like look of official documents; fpdf2 embeds its CFF outlines as a subset (FontFile3).
DEFAULT_FONT = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"
DEFAULT_FONT_BOLD = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc"


# ---------------------------------------------------------------------------------------------
# Content


@dataclass(frozen=True)
class PartyFacts:
    """A party's basic facts as the agreement states them (人民调解法 art. 29 (1))."""

    role: str  # PartyRole value
    kind: str  # PartyKind value
    name: str
    sex: str = ""  # "M", "F" or ""
    birth_year: int | None = None
    age: int | None = None  # in the document's year (only the year of birth is stored)
    ethnicity: str = ""
    occupation: str = ""
    address: str = ""
    phone: str = ""
    id_number_masked: str = ""
    organisation_code: str = ""
    agent_for: str = ""  # the name of the party an agent acts for

    @property
    def is_agent(self) -> bool:
        return self.role == "agent"


@dataclass(frozen=True)
class ObligationFacts:
    """One term to perform: who, what, by when (履行事项)."""

    by: str
    description: str
    due: date


@dataclass(frozen=True)
class AgreementContent:
    """Everything a written mediation agreement states (人民调解法 art. 29; 司法部《人民调解工作若干
    规定》arts. 34–35)."""

    committee: str
    number: str
    title: str
    parties: tuple[PartyFacts, ...]
    facts: str
    claims: str
    responsibility: str
    terms: str
    obligations: tuple[ObligationFacts, ...] = ()
    performance_method: str = ""
    performance_place: str = ""
    performance_due: date | None = None
    mediators: tuple[str, ...] = ()  # the lead mediator first
    date: date | None = None

    @property
    def principals(self) -> tuple[PartyFacts, ...]:
        """The parties themselves (agents sign for them but get no copy of their own)."""
        return tuple(p for p in self.parties if not p.is_agent)

    @property
    def copies(self) -> int:
        """One copy per party and one kept by the committee (若干规定 art. 35)."""
        return len(self.principals) + 1


@dataclass(frozen=True)
class SessionContent:
    """A session record (调解笔录): when, where, who mediated and attended, what was said."""

    committee: str
    number: str
    title: str
    starts_at: datetime
    ends_at: datetime | None
    place: str
    mediators: tuple[str, ...]  # the case's lead mediator first
    parties: tuple[PartyFacts, ...]
    attendees: str
    notes: str
    recorder: str = ""


def _person_name(user) -> str:
    return user.get_full_name() or user.username


def _masked(value: str) -> str:
    """The stored mask; should a whole ID number ever have been stored by mistake, it is masked here
    too (region and check character only, as grids.services.id_number_mask), never printed whole."""
    value = (value or "").strip()
    if len(value) == 18 and "*" not in value:
        return f"{value[:6]}{'*' * 11}{value[-1:]}"
    return value


def _party_facts(parties: list[Party], on: date) -> tuple[PartyFacts, ...]:
    """The parties in their order, each agent right after the party it acts for."""
    names = {p.pk: p.name for p in parties}
    agents: dict[int | None, list[Party]] = {}
    for p in parties:
        if p.represents_id is not None:
            agents.setdefault(p.represents_id, []).append(p)
    ordered: list[Party] = []
    for p in parties:
        if p.represents_id is None:
            ordered.append(p)
            ordered.extend(agents.pop(p.pk, []))
    for rest in agents.values():  # agents of a party not on this case (should not happen): last
        ordered.extend(rest)
    facts = []
    for p in ordered:
        facts.append(
            PartyFacts(
                role="agent" if p.represents_id is not None else p.role,
                kind=p.kind,
                name=p.name,
                sex=p.sex,
                birth_year=p.birth_year,
                age=(on.year - p.birth_year) if p.birth_year else None,
                ethnicity=p.ethnicity,
                occupation=p.occupation,
                address=p.address,
                phone=p.phone,
                id_number_masked=_masked(p.id_number_masked),
                organisation_code=p.organisation_code,
                agent_for=names.get(p.represents_id, "") if p.represents_id is not None else "",
            )
        )
    return tuple(facts)


def agreement_content(dispute: Dispute | int) -> AgreementContent:
    """The agreement of a case, read in four queries whatever its size (the case with its
    committee, its parties, its obligations, its active mediators)."""
    pk = dispute.pk if isinstance(dispute, Dispute) else dispute
    case = (
        Dispute.objects.select_related("committee")
        .prefetch_related(
            Prefetch("parties", queryset=Party.objects.order_by("order", "id")),
            Prefetch("obligations", queryset=Obligation.objects.order_by("due_date", "id")),
            Prefetch(
                "mediator_rows",
                queryset=DisputeMediator.objects.filter(active=True)
                .select_related("user")
                .order_by("-lead", "named_at", "id"),
            ),
        )
        .get(pk=pk)
    )
    on = timezone.localdate(case.agreed_at) if case.agreed_at else timezone.localdate()
    parties = list(case.parties.all())
    names = {p.pk: p.name for p in parties}
    return AgreementContent(
        committee=case.committee.name,
        number=case.number,
        title=case.title,
        parties=_party_facts(parties, on),
        facts=case.facts,
        claims=case.claims,
        responsibility=case.responsibility,
        terms=case.agreement_terms,
        obligations=tuple(
            ObligationFacts(by=names.get(o.party_id, ""), description=o.description, due=o.due_date)
            for o in case.obligations.all()
        ),
        performance_method=case.performance_method,
        performance_place=case.performance_place,
        performance_due=case.performance_due,
        mediators=tuple(_person_name(row.user) for row in case.mediator_rows.all()),
        date=on,
    )


def session_content(session: Session | int) -> SessionContent:
    """A session's record, read in four queries whatever its size (the session with its case,
    committee and recorder; the session's mediators; the case's parties; the case's lead)."""
    pk = session.pk if isinstance(session, Session) else session
    row = (
        Session.objects.select_related("dispute__committee", "created_by")
        .prefetch_related(
            "mediators",
            Prefetch("dispute__parties", queryset=Party.objects.order_by("order", "id")),
            Prefetch(
                "dispute__mediator_rows",
                queryset=DisputeMediator.objects.filter(active=True, lead=True),
                to_attr="leads",
            ),
        )
        .get(pk=pk)
    )
    case = row.dispute
    lead_ids = {m.user_id for m in case.leads}
    mediators = sorted(row.mediators.all(), key=lambda u: (u.pk not in lead_ids, u.pk))
    return SessionContent(
        committee=case.committee.name,
        number=case.number,
        title=case.title,
        starts_at=timezone.localtime(row.starts_at),
        ends_at=timezone.localtime(row.ends_at) if row.ends_at else None,
        place=row.place,
        mediators=tuple(_person_name(u) for u in mediators),
        parties=_party_facts(list(case.parties.all()), timezone.localdate(row.starts_at)),
        attendees=row.attendees,
        notes=row.notes,
        recorder=_person_name(row.created_by),
    )


# ---------------------------------------------------------------------------------------------
# Fonts


class DocumentFontMissing(ImproperlyConfigured):
    """The CJK font the documents embed is not on this machine."""


def _font_path(setting: str, default: str) -> str:
    path = getattr(settings, setting, "") or default
    if not os.path.isfile(path):
        raise DocumentFontMissing(
            f"{setting}: the font file {path} is missing. Install the Debian package fonts-noto-cjk "
            f"(scripts/setup.sh does), or set {setting} to a Chinese TrueType/OpenType font (.ttf, .otf, .ttc)."
        )
    return path


@lru_cache(maxsize=8)
def _face_index(path: str) -> int:
    """In a font collection (.ttc), the Simplified Chinese face (Noto's "SC", Arphic's "CN"):
    the others draw some characters in Japanese, Korean or traditional shapes."""
    if not path.lower().endswith((".ttc", ".otc")):
        return 0
    from fontTools.ttLib import TTCollection

    with TTCollection(path, lazy=True) as collection:
        for index, font in enumerate(collection.fonts):
            family = font["name"].getDebugName(1) or ""
            if family.endswith((" SC", " CN", " GB")) or " SC " in family:
                return index
    return 0


def document_fonts() -> tuple[tuple[str, int], tuple[str, int]]:
    """(path, face index) of the body font and of the bold font (the body font when no bold one)."""
    regular = _font_path("DOCUMENT_FONT", DEFAULT_FONT)
    try:
        bold = _font_path("DOCUMENT_FONT_BOLD", DEFAULT_FONT_BOLD)
    except DocumentFontMissing:
        bold = regular
    return (regular, _face_index(regular)), (bold, _face_index(bold))


def _language() -> str:
    """Documents are issued in Chinese whatever the clerk's page language (DOCUMENT_LANGUAGE)."""
    return getattr(settings, "DOCUMENT_LANGUAGE", "zh-hans")


# ---------------------------------------------------------------------------------------------
# PDF

# A4 with the margins of GB/T 9704 (party and government documents), body in 四号 (14 pt).
PAGE_MARGINS = {"left": 28, "top": 30, "right": 26, "bottom": 28}  # mm
SIZES = {"committee": 16, "title": 22, "number": 14, "heading": 14, "body": 14, "plain": 14, "footer": 10.5}
LINE = 1.65  # line height, as a multiple of the font size
PT = 25.4 / 72  # mm per point


def _pdf_class():
    from fpdf import FPDF

    class DocumentPDF(FPDF):
        footer_text = ""

        def footer(self):
            self.set_y(-PAGE_MARGINS["bottom"] + 8)
            self.set_font("body", size=SIZES["footer"])
            self.cell(0, 6, self.footer_text % {"page": self.page_no(), "pages": self.alias_nb_pages_str}, align="C")

    return DocumentPDF


def _line_height(size: float) -> float:
    return size * PT * LINE


def render_pdf(content: AgreementContent | SessionContent) -> bytes:
    """The document as an A4 PDF with its Chinese font embedded (a subset)."""
    (regular, regular_index), (bold, bold_index) = document_fonts()
    with translation.override(_language()):
        doc = layout.document(content)
        pdf = _pdf_class()(orientation="P", unit="mm", format="A4")
        pdf.alias_nb_pages_str = "{nb}"
        pdf.footer_text = doc.footer
        pdf.add_font("body", "", regular, collection_font_number=regular_index)
        pdf.add_font("body", "B", bold, collection_font_number=bold_index)
        pdf.set_margins(PAGE_MARGINS["left"], PAGE_MARGINS["top"], PAGE_MARGINS["right"])
        pdf.c_margin = 0  # text starts at the margin, as a printed document's does
        pdf.set_auto_page_break(True, margin=PAGE_MARGINS["bottom"])
        pdf.set_title(doc.title)
        pdf.set_creator("wenjiang-ops")
        pdf.set_lang("zh-CN" if _language().startswith("zh") else _language())
        pdf.add_page()
        for block in doc.blocks:
            if isinstance(block, layout.Gap):
                pdf.ln(block.mm)
            elif isinstance(block, layout.Para):
                size = SIZES[block.style]
                pdf.set_font("body", "B" if block.bold else "", size)
                text = ("\u3000\u3000" + block.text) if block.indent else block.text
                _pdf_paragraph(pdf, text, _line_height(size), block.align)
            elif isinstance(block, layout.Signatures):
                _pdf_signatures(pdf, block)
        return bytes(pdf.output())


# Chinese line breaking (避头尾): these never start a line, these never end one.
NO_LINE_START = set("，。、；：？！）》」』”’…—·%,.;:?!)]}")
NO_LINE_END = set("（《「『“‘([{")


def _units(text: str) -> list[str]:
    """Breakable units: each Chinese character alone; a short run of Latin letters and digits (a
    word, a year, an amount) whole, so it is not cut in two at a line's end. Longer runs (an ID mask,
    a credit code) break anywhere, as they do in print, rather than leave a gaping line."""

    def latin(char: str) -> bool:
        return char.isascii() and (char.isalnum() or char in "*-_/@.+")

    units: list[str] = []
    for char in text:
        if units and latin(char) and latin(units[-1][-1]):
            units[-1] += char
        else:
            units.append(char)
    return [piece for unit in units for piece in ([unit] if len(unit) <= 8 else list(unit))]


def wrap(text: str, width: float, measure) -> list[str]:
    """The lines of a paragraph `width` wide (`measure(s)` is the width of s), breaking between
    characters as Chinese is set, with closing punctuation kept on the line it closes (it may hang
    into the margin: the line is then set a little tighter) and opening punctuation kept with what
    follows."""
    lines: list[str] = []
    for source in text.split("\n"):
        line = ""
        for unit in _units(source):
            if not line or measure(line + unit) <= width or unit[0] in NO_LINE_START:
                line += unit
                continue
            if measure(unit) > width:  # a Latin run longer than a line: cut it anywhere
                for char in unit:
                    if measure(line + char) > width and line:
                        lines.append(line)
                        line = ""
                    line += char
                continue
            carry = ""
            while len(line) > 1 and line[-1] in NO_LINE_END:
                carry, line = line[-1] + carry, line[:-1]
            lines.append(line)
            line = carry + unit
        lines.append(line)
    return lines


def _pdf_paragraph(pdf, text: str, height: float, align: str) -> None:
    """Sets a paragraph line by line, every line but the last justified to both margins by spacing
    its characters (as Chinese documents are set), or centred or flushed right."""
    from fpdf.enums import Align

    width = pdf.epw
    pdf.set_char_spacing(0)  # the widths below are natural ones
    lines = [(line, pdf.get_string_width(line)) for line in wrap(text, width, pdf.get_string_width)]
    for n, (line, natural) in enumerate(lines):
        gaps = len(line) - 1
        full = align == "L" and n < len(lines) - 1
        # Tc is in points; a hanging last line (closing punctuation past the margin) is tightened.
        spacing = (width - natural) / gaps / PT if gaps and (full or natural > width) else 0.0
        pdf.set_char_spacing(spacing)
        pdf.set_x(pdf.l_margin)
        pdf.cell(width, height, line, align={"C": Align.C, "R": Align.R}.get(align, Align.L))
        pdf.ln(height)
    pdf.set_char_spacing(0)


def _pdf_signatures(pdf, block: layout.Signatures) -> None:
    """The signing places, two to a row, then the committee's seal box, name and date at the
    right; the seal part is kept on one page with the last row of signatures."""
    from fpdf.enums import Align, XPos, YPos

    size = SIZES["body"]
    line = _line_height(size)
    row_height = 2.6 * line
    seal = 42.0  # mm: the usual diameter of a committee's round seal
    width = pdf.epw
    bottom = pdf.h - PAGE_MARGINS["bottom"]
    pdf.set_font("body", "", size)
    pdf.ln(line * 0.6)
    rows = [block.signers[i : i + 2] for i in range(0, len(block.signers), 2)]
    column = width / 2 - 4
    for n, row in enumerate(rows):
        cells = [wrap(label, column, pdf.get_string_width) for label in row]
        height = max(row_height, (max(len(c) for c in cells) + 1) * line)
        if pdf.get_y() + height + (seal + 2 * line if n == len(rows) - 1 else 0) > bottom:
            pdf.add_page()
        y = pdf.get_y()
        for col, lines in enumerate(cells):
            for k, text in enumerate(lines):
                pdf.set_xy(pdf.l_margin + col * width / 2, y + k * line)
                pdf.cell(column, line, text, align=Align.L)
        pdf.set_y(y + height)
    if not rows and pdf.get_y() + seal + 2 * line > bottom:
        pdf.add_page()
    # The seal box, with the committee's name and the date under it, as stamped on a real one.
    box_x = pdf.l_margin + width - seal - 8
    top = pdf.get_y() + 2
    if not block.seal_box:  # a record is signed, not sealed: only the date
        pdf.set_font("body", "", size)
        for text in block.seal_lines:
            pdf.multi_cell(0, line, text, align=Align.R, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        return
    pdf.set_draw_color(150, 150, 150)
    pdf.set_dash_pattern(dash=1.2, gap=1.2)
    pdf.rect(box_x, top, seal, seal)
    pdf.set_dash_pattern()
    pdf.set_draw_color(0, 0, 0)
    pdf.set_text_color(150, 150, 150)
    pdf.set_font("body", "", SIZES["footer"])
    pdf.set_xy(box_x, top + seal / 2 - 3)
    pdf.cell(seal, 6, block.seal_box, align=Align.C)
    pdf.set_text_color(0, 0, 0)
    pdf.set_font("body", "", size)
    pdf.set_xy(pdf.l_margin, top + seal + 2)
    for text in block.seal_lines:
        pdf.multi_cell(0, line, text, align=Align.R, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


# ---------------------------------------------------------------------------------------------
# Word

DOCX_FONT = "宋体"  # SimSun: the East Asian font of official documents in Word
DOCX_LATIN_FONT = "Times New Roman"


def _docx_font(element, *, size: float | None = None, bold: bool | None = None) -> None:
    """Sets the Latin and the East Asian font of a run or a style (python-docx sets only the
    Latin one: without w:eastAsia, Word draws Chinese in its default, not 宋体)."""
    from docx.oxml.ns import qn
    from docx.shared import Pt

    element.font.name = DOCX_LATIN_FONT
    if size is not None:
        element.font.size = Pt(size)
    if bold is not None:
        element.font.bold = bold
    rpr = element.element.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), DOCX_FONT)
    fonts.set(qn("w:hint"), "eastAsia")


def _docx_field(paragraph, instruction: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def render_docx(content: AgreementContent | SessionContent) -> bytes:
    """The same document as an editable .docx (A4, 宋体)."""
    from docx import Document as Docx
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    aligns = {"C": WD_ALIGN_PARAGRAPH.CENTER, "R": WD_ALIGN_PARAGRAPH.RIGHT, "L": WD_ALIGN_PARAGRAPH.JUSTIFY}
    with translation.override(_language()):
        doc = layout.document(content)
        out = Docx()
        out.core_properties.title = doc.title
        out.core_properties.language = "zh-CN"
        section = out.sections[0]
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.left_margin, section.right_margin = Mm(PAGE_MARGINS["left"]), Mm(PAGE_MARGINS["right"])
        section.top_margin, section.bottom_margin = Mm(PAGE_MARGINS["top"]), Mm(PAGE_MARGINS["bottom"])
        normal = out.styles["Normal"]
        _docx_font(normal, size=SIZES["body"])
        normal.paragraph_format.line_spacing = 1.5
        normal.paragraph_format.space_after = Pt(0)

        # The footer: 第 x 页 共 y 页, with Word's page fields.
        footer = section.footer.paragraphs[0]
        footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
        before, _, rest = doc.footer.partition("%(page)s")
        between, _, after = rest.partition("%(pages)s")
        for text, field in ((before, "PAGE"), (between, "NUMPAGES"), (after, None)):
            if text:
                _docx_font(footer.add_run(text), size=SIZES["footer"])
            if field:
                _docx_field(footer, field)

        for block in doc.blocks:
            if isinstance(block, layout.Gap):
                gap = out.add_paragraph()
                gap.paragraph_format.line_spacing = Pt(block.mm / PT)
            elif isinstance(block, layout.Para):
                paragraph = out.add_paragraph()
                paragraph.alignment = aligns[block.align]
                if block.indent:
                    paragraph.paragraph_format.first_line_indent = Pt(2 * SIZES[block.style])
                _docx_font(paragraph.add_run(block.text), size=SIZES[block.style], bold=block.bold)
            elif isinstance(block, layout.Signatures):
                out.add_paragraph()
                rows = [block.signers[i : i + 2] for i in range(0, len(block.signers), 2)]
                if rows:
                    table = out.add_table(rows=len(rows), cols=2)
                    table.alignment = WD_TABLE_ALIGNMENT.CENTER
                    for r, row in enumerate(rows):
                        for c, label in enumerate(row):
                            cell = table.cell(r, c)
                            _docx_font(cell.paragraphs[0].add_run(label), size=SIZES["body"])
                            cell.add_paragraph()
                if block.seal_box:
                    box = out.add_paragraph()
                    box.alignment = WD_ALIGN_PARAGRAPH.RIGHT
                    box.paragraph_format.space_before = Pt(24)
                    _docx_font(box.add_run(block.seal_box), size=SIZES["footer"])
                for text in block.seal_lines:
                    paragraph = out.add_paragraph()
                    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
                    _docx_font(paragraph.add_run(text), size=SIZES["body"])
        buffer = io.BytesIO()
        out.save(buffer)
        return buffer.getvalue()
