"""The dispute documents: content read from the models, the PDF (text, embedded font, pages) and
the .docx, each read back."""

import io
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from docx import Document as Docx
from pypdf import PdfReader

from disputes import documents
from disputes.documents import (
    AgreementContent,
    DocumentFontMissing,
    ObligationFacts,
    PartyFacts,
    SessionContent,
    agreement_content,
    render_docx,
    render_pdf,
    session_content,
    wrap,
)

from . import factories

SHANGHAI = ZoneInfo("Asia/Shanghai")
MASK = "510115***********3"
FULL_ID = "510115196801011233"


def pdf_text(data: bytes) -> tuple[str, PdfReader]:
    reader = PdfReader(io.BytesIO(data))
    return clean("".join(page.extract_text() for page in reader.pages)), reader


def clean(text: str) -> str:
    # Justified lines are set with character spacing, which extractors may read as spaces; pypdf
    # reads the two-byte codes of an embedded CFF font with a NUL before each character (poppler's
    # pdftotext reads them cleanly).
    return re.sub(r"\s+", "", text.replace("\x00", ""))


def docx_text(data: bytes) -> str:
    doc = Docx(io.BytesIO(data))
    cells = [cell.text for table in doc.tables for row in table.rows for cell in row.cells]
    return re.sub(r"\s+", "", "".join([p.text for p in doc.paragraphs] + cells))


def content(**overrides) -> AgreementContent:
    values = dict(
        committee="柳城街道人民调解委员会",
        number="(2026)温人调字第 00123 号",
        title="物业漏水赔偿纠纷",
        parties=(
            PartyFacts(
                role="applicant",
                kind="person",
                name="张建国",
                sex="M",
                birth_year=1968,
                age=58,
                ethnicity="汉族",
                address="柳城街道光华社区3组12号",
                phone="13800001111",
                id_number_masked=MASK,
            ),
            PartyFacts(role="agent", kind="person", name="张小梅", agent_for="张建国"),
            PartyFacts(
                role="respondent",
                kind="organisation",
                name="某某物业管理有限公司",
                organisation_code="91510115MA6C1234XY",
            ),
        ),
        facts="申请人家中因公共管道破裂发生漏水。",
        claims="申请人要求赔偿人民币8000元。",
        responsibility="被申请人负主要责任。",
        terms="被申请人一次性赔偿申请人人民币5000元。",
        obligations=(ObligationFacts(by="某某物业管理有限公司", description="修复公共管道", due=date(2026, 3, 15)),),
        performance_method="银行转账",
        performance_place="柳城街道人民调解委员会",
        performance_due=date(2026, 3, 31),
        mediators=("王丽", "李明"),
        date=date(2026, 3, 5),
    )
    values.update(overrides)
    return AgreementContent(**values)


@pytest.fixture(scope="module")
def agreement_pdf():
    return render_pdf(content())


# --- Rendering, no database ------------------------------------------------------------------


def test_agreement_pdf_states_what_the_law_requires(agreement_pdf):
    text, reader = pdf_text(agreement_pdf)
    for expected in (
        "人民调解协议书",
        "柳城街道人民调解委员会",
        "(2026)温人调字第00123号",
        "申请人：张建国，男，汉族，1968年出生，58岁",
        "系张建国的委托代理人",
        "统一社会信用代码：91510115MA6C1234XY",
        MASK,
        "申请人家中因公共管道破裂发生漏水",
        "争议事项",
        "被申请人负主要责任",
        "被申请人一次性赔偿申请人人民币5000元",
        "某某物业管理有限公司于2026年3月15日前修复公共管道",
        "履行方式：银行转账",
        "履行地点：柳城街道人民调解委员会",
        "履行期限：2026年3月31日前履行完毕",
        "签名或者按指印",
        "一式三份",  # two parties (the agent gets no copy) and the committee
        "申请人（签名/按指印）",
        "被申请人（签名/按指印）",
        "人民调解员（签名）",
        "加盖印章",
        "2026年3月5日",
    ):
        assert expected in text, expected
    assert f"第1页共{len(reader.pages)}页" in text
    assert reader.pages[0].mediabox.width == pytest.approx(595.28, abs=0.5)  # A4


def test_the_font_is_embedded_as_a_subset(agreement_pdf):
    reader = PdfReader(io.BytesIO(agreement_pdf))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    descriptors = []
    for ref in fonts.values():
        font = ref.get_object()
        for descendant in font.get("/DescendantFonts", []):
            descriptors.append(descendant.get_object()["/FontDescriptor"].get_object())
    assert descriptors
    for descriptor in descriptors:
        assert "/FontFile2" in descriptor or "/FontFile3" in descriptor
        assert re.match(r"^/[A-Z]{6}\+", descriptor["/FontName"])  # a subset's tag
    assert len(agreement_pdf) < 300_000  # a subset, not the 26 MB font


def test_a_long_agreement_flows_over_pages_with_numbers():
    paragraph = "申请人与被申请人就漏水损失多次协商，未能达成一致意见。" * 3
    long = content(facts="\n".join(f"第{n}段：{paragraph}" for n in range(40)))
    text, reader = pdf_text(render_pdf(long))
    pages = len(reader.pages)
    assert pages >= 2
    for n in range(1, pages + 1):
        assert f"第{n}页共{pages}页" in clean(reader.pages[n - 1].extract_text())
    assert "第39段" in text and "加盖印章" in text


def test_the_copies_count_parties_not_agents():
    one_side = content(parties=content().parties[:2])
    assert one_side.copies == 2
    assert "一式二份" in pdf_text(render_pdf(one_side))[0]


def test_agreement_docx_holds_the_same_text_in_songti():
    data = render_docx(content())
    text = docx_text(data)
    expected_texts = ("人民调解协议书", "(2026)温人调字第00123号", "张建国", MASK, "一式三份", "加盖印章")
    for expected in (*expected_texts, "履行期限：2026年3月31日前履行完毕"):
        assert expected in text, expected
    normal = Docx(io.BytesIO(data)).styles["Normal"]
    east_asia = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia"
    assert normal.element.rPr.rFonts.get(east_asia) == "宋体"


def test_session_record_pdf_and_docx():
    record = SessionContent(
        committee="柳城街道人民调解委员会",
        number="(2026)温人调字第 00123 号",
        title="物业漏水赔偿纠纷",
        starts_at=datetime(2026, 3, 5, 14, 0, tzinfo=SHANGHAI),
        ends_at=datetime(2026, 3, 5, 16, 30, tzinfo=SHANGHAI),
        place="柳城街道调解室",
        mediators=("王丽",),
        parties=content().parties,
        attendees="网格员赵强",
        notes="调解员：请双方陈述。\n申请人：漏水已经三个月了。",
        recorder="陈静",
    )
    for text in (pdf_text(render_pdf(record))[0], docx_text(render_docx(record))):
        for expected in (
            "调解笔录",
            "2026年3月5日14时00分至16时30分",
            "柳城街道调解室",
            "调解员：王丽",
            "记录人：陈静",
            "网格员赵强",
            "漏水已经三个月了",
            MASK,
            "记录人（签名）",
        ):
            assert expected in text, expected


def test_a_missing_font_is_a_clear_error(settings):
    settings.DOCUMENT_FONT = "/nonexistent/font.ttc"
    with pytest.raises(DocumentFontMissing, match="fonts-noto-cjk"):
        render_pdf(content())


def test_wrap_keeps_closing_punctuation_off_the_line_start():
    lines = wrap("甲乙丙，丁戊", 3, len)  # three characters a line
    assert lines == ["甲乙丙，", "丁戊"]
    assert wrap("甲乙（丙丁", 3, len) == ["甲乙", "（丙丁"]
    # A short Latin run is kept whole; a long one (a phone, an ID mask) breaks anywhere.
    assert wrap("电话：2026年", 5, len) == ["电话：", "2026年"]
    assert wrap("电话13800001111", 8, len) == ["电话138000", "01111"]


def test_the_simplified_chinese_face_of_a_collection_is_used():
    (path, index), _ = documents.document_fonts()
    from fontTools.ttLib import TTCollection

    with TTCollection(path, lazy=True) as collection:
        assert collection.fonts[index]["name"].getDebugName(1).endswith(" SC")


# --- Content read from the models --------------------------------------------------------------


@pytest.fixture
def case(db):
    com = factories.committee()
    case = factories.dispute()
    zhang = factories.party(
        case,
        "applicant",
        "张建国",
        sex="M",
        birth_year=1968,
        ethnicity="汉族",
        occupation="农民",
        address="光华社区3组12号",
        phone="13800001111",
        id_number_masked=MASK,
        order=1,
    )
    firm = factories.party(
        case, "respondent", "某某物业管理有限公司", kind="organisation", organisation_code="91510115MA6C1234XY", order=2
    )
    factories.party(case, "agent", "张小梅", represents=zhang, order=3)
    # A whole number stored by mistake is still printed masked.
    factories.party(case, "third_party", "刘大海", id_number_masked=FULL_ID, order=4)
    factories.obligation(case, firm, "向张建国支付赔偿款人民币5000元", date(2026, 3, 31))
    factories.obligation(case, firm, "修复公共管道", date(2026, 3, 15))
    lead = factories.mediator("docs-wangli", "王", "丽", com.center)
    other = factories.mediator("docs-liming", "李", "明", com.center)
    factories.name_mediators(case, lead, other)
    return case


def test_agreement_content_from_the_models(case, django_assert_num_queries):
    with django_assert_num_queries(4):
        c = agreement_content(case)
    assert c.number == "(2026)温人调字第 00123 号"
    assert [(p.role, p.name) for p in c.parties] == [
        ("applicant", "张建国"),
        ("agent", "张小梅"),  # right after the party it acts for
        ("respondent", "某某物业管理有限公司"),
        ("third_party", "刘大海"),
    ]
    zhang, agent, firm, third = c.parties
    assert zhang.age == 58 and zhang.id_number_masked == MASK
    assert agent.agent_for == "张建国"
    assert firm.organisation_code == "91510115MA6C1234XY"
    assert third.id_number_masked == "510115***********3"
    assert [(o.by, o.due) for o in c.obligations] == [
        ("某某物业管理有限公司", date(2026, 3, 15)),
        ("某某物业管理有限公司", date(2026, 3, 31)),
    ]
    assert c.mediators == ("王丽", "李明")
    assert c.performance_due == date(2026, 3, 31) and c.date == date(2026, 3, 5)
    assert c.copies == 4


def test_agreement_query_count_does_not_grow(case, django_assert_num_queries):
    for n in range(5):
        factories.party(case, "applicant", f"申请人{n}")
        factories.obligation(case, None, f"事项{n}", date(2026, 4, 1))
    with django_assert_num_queries(4):
        agreement_content(case.pk)


def test_agreement_from_the_models_renders_without_the_full_id(case):
    data = render_pdf(agreement_content(case))
    text, _ = pdf_text(data)
    assert "张建国" in text and "某某物业管理有限公司" in text and "刘大海" in text
    assert FULL_ID not in text and FULL_ID not in docx_text(render_docx(agreement_content(case)))
    assert MASK in text
    assert "(2026)温人调字第00123号" in text
    assert "2026年3月31日前履行完毕" in text
    assert "一式四份" in text


def test_session_content_from_the_models(case, django_assert_num_queries):
    rows = {r.user.username: r.user for r in case.mediator_rows.select_related("user")}
    # The lead is listed first whatever the order of the session's rows.
    row = factories.session(case, mediators=[rows["docs-liming"], rows["docs-wangli"]])
    with django_assert_num_queries(4):
        c = session_content(row)
    assert c.mediators == ("王丽", "李明")
    assert c.starts_at.hour == 14 and c.ends_at.minute == 30
    assert c.place == "柳城街道调解室" and "漏水已经三个月了" in c.notes
    assert [p.name for p in c.parties][:2] == ["张建国", "张小梅"]
    text, _ = pdf_text(render_pdf(c))
    assert "调解笔录" in text and "王丽、李明" in text
