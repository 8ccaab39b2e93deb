"""The PDF documents: an activity certificate (A4 landscape) and a yearly transcript
(A4 portrait, as many pages as its items need), drawn with reportlab.

The texts are Vietnamese whatever the reader's language: the PDF is the document of
record. Fonts are the DejaVu Sans files shipped in ``fonts/`` (embedded as subsets),
so the output does not depend on the fonts of the server; every text is NFC-normalised
first, since DejaVu has the precomposed Vietnamese letters. Called by the pages and the
API after the service issued (or found) the ``IssuedCertificate``; returns the bytes.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

from modules.certificates.models import IssuedCertificate
from modules.certificates.services import TIMEZONE, group_code, nfc

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT = "HocVuSans"
FONT_BOLD = "HocVuSans-Bold"
INK = colors.HexColor("#1f2937")
ACCENT = colors.HexColor("#9b1c1c")

NATION = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
SUBTITLES = {
    "course": "Đã hoàn thành khóa học trực tuyến",
    "checklist": "Đã hoàn thành nội dung thực hành, kèm cặp tại chỗ",
}


def register_fonts() -> None:
    """Register the shipped DejaVu Sans fonts with reportlab (once per process)."""
    registered = pdfmetrics.getRegisteredFontNames()
    if FONT not in registered:
        pdfmetrics.registerFont(TTFont(FONT, str(FONT_DIR / "DejaVuSans.ttf")))
    if FONT_BOLD not in registered:
        pdfmetrics.registerFont(TTFont(FONT_BOLD, str(FONT_DIR / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD)


def vn_date(value: date | str | None) -> str:
    """A day as people write it in Vietnam: 10/03/2026."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value)
    return value.strftime("%d/%m/%Y")


def vn_long_date(moment: datetime) -> str:
    """ "ngày 10 tháng 03 năm 2026", in Vietnam time, as official documents date themselves."""
    local = moment.astimezone(TIMEZONE)
    return f"ngày {local.day:02d} tháng {local.month:02d} năm {local.year}"


def qr_widget(url: str) -> QrCodeWidget:
    """The QR code of ``url`` (reportlab's own encoder; error correction M survives a
    worn printout)."""
    return QrCodeWidget(nfc(url), barLevel="M")


def qr_drawing(url: str, size: float) -> Drawing:
    """``qr_widget(url)`` scaled into a ``size`` × ``size`` point drawing."""
    widget = qr_widget(url)
    x1, y1, x2, y2 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x2 - x1), 0, 0, size / (y2 - y1), 0, 0])
    drawing.add(widget)
    return drawing


def _style(name: str, size: float, *, bold: bool = False, align: int = TA_CENTER, leading: float = 0) -> ParagraphStyle:
    return ParagraphStyle(
        name,
        fontName=FONT_BOLD if bold else FONT,
        fontSize=size,
        leading=leading or size * 1.3,
        alignment=align,
        textColor=INK,
    )


def _p(text: Any, style: ParagraphStyle) -> Paragraph:
    # Paragraph markup is XML: escape what came from the database.
    return Paragraph(escape(nfc(str(text))), style)


def _draw_paragraph(canvas: Canvas, text: str, style: ParagraphStyle, x: float, top: float, width: float) -> float:
    """Draw ``text`` wrapped into ``width`` from ``top`` down; returns the new top."""
    paragraph = _p(text, style)
    _w, height = paragraph.wrapOn(canvas, width, 1000)
    paragraph.drawOn(canvas, x, top - height)
    return top - height


def _metadata(canvas: Canvas, title: str, certificate: IssuedCertificate) -> None:
    canvas.setTitle(nfc(title))
    canvas.setAuthor("HocVu")
    canvas.setSubject(f"{nfc(certificate.person_name)} · {group_code(certificate.code)}")
    canvas.setCreator("HocVu")


def activity_pdf(certificate: IssuedCertificate, *, url: str, issuer: str) -> bytes:
    """The certificate of one credited course or checklist. ``url`` is the public
    verification page (printed and in the QR code, which is also a link); ``issuer``
    signs it (the site's configured name)."""
    register_fonts()
    buffer = io.BytesIO()
    width, height = landscape(A4)
    canvas = Canvas(buffer, pagesize=(width, height), pageCompression=1)
    _metadata(canvas, f"Giấy chứng nhận - {certificate.activity_title}", certificate)
    margin = 14 * mm
    canvas.setStrokeColor(ACCENT)
    canvas.setLineWidth(3)
    canvas.rect(margin, margin, width - 2 * margin, height - 2 * margin)
    canvas.setLineWidth(0.8)
    canvas.rect(margin + 5, margin + 5, width - 2 * margin - 10, height - 2 * margin - 10)

    inner_x, inner_w = margin + 30, width - 2 * margin - 60
    top = height - margin - 24
    top = _draw_paragraph(canvas, NATION, _style("nation", 12, bold=True), inner_x, top, inner_w)
    top = _draw_paragraph(canvas, MOTTO, _style("motto", 12, bold=True), inner_x, top, inner_w)
    canvas.setStrokeColor(INK)
    canvas.setLineWidth(0.6)
    canvas.line(width / 2 - 80, top - 3, width / 2 + 80, top - 3)
    top -= 30
    title = _style("title", 32, bold=True)
    title.textColor = ACCENT
    top = _draw_paragraph(canvas, "GIẤY CHỨNG NHẬN", title, inner_x, top, inner_w) - 4
    subtitle = SUBTITLES.get(certificate.activity_type or "", "Đã hoàn thành hoạt động bồi dưỡng")
    top = _draw_paragraph(canvas, subtitle.upper(), _style("subtitle", 13, bold=True), inner_x, top, inner_w) - 14
    top = _draw_paragraph(canvas, "Chứng nhận ông/bà", _style("lead", 13), inner_x, top, inner_w) - 2
    top = _draw_paragraph(canvas, certificate.person_name, _style("name", 24, bold=True), inner_x, top, inner_w) - 4
    who = f"Mã cán bộ: {certificate.staff_code} · Đơn vị: {certificate.unit_name}"
    top = _draw_paragraph(canvas, who, _style("who", 12), inner_x, top, inner_w) - 12
    top = _draw_paragraph(canvas, "đã hoàn thành", _style("lead2", 13), inner_x, top, inner_w) - 2
    # Titles may be up to 300 characters: a long one is set smaller so it never reaches the
    # bottom band.
    activity = _style("activity", 17 if len(certificate.activity_title or "") <= 110 else 13, bold=True)
    top = _draw_paragraph(canvas, certificate.activity_title or "", activity, inner_x + 40, top, inner_w - 80) - 8
    figures = f"Số tiết được ghi nhận: {certificate.periods} tiết · Ngày hoàn thành: {vn_date(certificate.earned_on)}"
    _draw_paragraph(canvas, figures, _style("figures", 13), inner_x, top, inner_w)

    # Bottom band: the QR code and how to verify on the left, date and issuer on the right.
    qr_size = 30 * mm
    qr_x, qr_y = margin + 24, margin + 22
    renderPDF.draw(qr_drawing(url, qr_size), canvas, qr_x, qr_y)
    canvas.linkURL(url, (qr_x, qr_y, qr_x + qr_size, qr_y + qr_size), relative=0)
    text_x = qr_x + qr_size + 10
    left = _style("verify", 10, align=TA_LEFT)
    code_style = _style("code", 12, bold=True, align=TA_LEFT)
    line = qr_y + qr_size
    line = _draw_paragraph(canvas, "Mã xác thực:", left, text_x, line, 300)
    line = _draw_paragraph(canvas, group_code(certificate.code), code_style, text_x, line, 300) - 2
    line = _draw_paragraph(canvas, "Kiểm tra tính hợp lệ tại:", left, text_x, line, 300)
    _draw_paragraph(canvas, url, left, text_x, line, 300)

    right_x, right_w = width / 2 + 60, width / 2 - margin - 90
    issued = f"Cấp {vn_long_date(certificate.issued_at)}"
    line = _draw_paragraph(canvas, issued, _style("issued", 12), right_x, qr_y + qr_size, right_w) - 4
    _draw_paragraph(canvas, issuer, _style("issuer", 12, bold=True), right_x, line, right_w)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


class _QrBlock(Flowable):
    """The QR code with the code and the verification URL beside it, in a story."""

    def __init__(self, url: str, code: str, issued: str, size: float = 26 * mm) -> None:
        super().__init__()
        self.url, self.code, self.issued, self.size = url, code, issued, size
        self.width, self.height = 0.0, size

    def wrap(self, available_width: float, _available_height: float) -> tuple[float, float]:
        self.width = available_width
        return available_width, self.size

    def draw(self) -> None:
        canvas = self.canv
        renderPDF.draw(qr_drawing(self.url, self.size), canvas, 0, 0)
        canvas.linkURL(self.url, (0, 0, self.size, self.size), relative=1)
        left = _style("qr-text", 9.5, align=TA_LEFT)
        width = self.width - self.size - 10
        top = self.size
        top = _draw_paragraph(
            canvas,
            f"Mã xác thực: {self.code}",
            _style("qr-code", 11, bold=True, align=TA_LEFT),
            self.size + 10,
            top,
            width,
        )
        top = _draw_paragraph(canvas, f"Kiểm tra tính hợp lệ tại: {self.url}", left, self.size + 10, top, width)
        _draw_paragraph(canvas, self.issued, left, self.size + 10, top, width)


def transcript_pdf(certificate: IssuedCertificate, *, url: str, issuer: str) -> bytes:
    """The year's transcript: who, every credited item with its periods (and what was
    counted after caps), the total, the requirement with its explanation, the QR code."""
    register_fonts()
    buffer = io.BytesIO()
    code = group_code(certificate.code)
    title = f"Bảng tổng hợp kết quả bồi dưỡng năm {certificate.year}"
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=16 * mm,
        rightMargin=16 * mm,
        topMargin=16 * mm,
        bottomMargin=18 * mm,
        title=nfc(title),
        author="HocVu",
        subject=f"{nfc(certificate.person_name)} · {code}",
        creator="HocVu",
    )
    body = _style("body", 10.5, align=TA_LEFT)
    cell = _style("cell", 9, align=TA_LEFT, leading=11)
    cell_num = _style("cell-num", 9, align=TA_CENTER, leading=11)
    head = _style("head", 9, bold=True, align=TA_CENTER, leading=11)
    story: list[Flowable] = [
        _p(NATION, _style("nation", 11, bold=True)),
        _p(MOTTO, _style("motto", 11, bold=True)),
        Spacer(1, 8 * mm),
        _p(title.upper(), _style("title", 15, bold=True)),
        Spacer(1, 5 * mm),
        _p(f"Họ và tên: {certificate.person_name}", _style("name", 11, bold=True, align=TA_LEFT)),
        _p(f"Mã cán bộ: {certificate.staff_code}", body),
        _p(f"Đơn vị: {certificate.unit_name}", body),
        Spacer(1, 4 * mm),
    ]
    rows: list[list[Any]] = [
        [_p(text, head) for text in ("STT", "Ngày", "Hoạt động", "Hình thức", "Lĩnh vực", "Số tiết", "Được tính")]
    ]
    for number, item in enumerate(certificate.details or [], start=1):
        rows.append(
            [
                _p(number, cell_num),
                _p(vn_date(item.get("date")), cell_num),
                _p(item.get("title", ""), cell),
                _p(item.get("source", ""), cell),
                _p(item.get("field_name", ""), cell),
                _p(item.get("periods", 0), cell_num),
                _p(item.get("counted", 0), cell_num),
            ]
        )
    if len(rows) == 1:
        rows.append([_p("Chưa có hoạt động nào được ghi nhận trong năm.", cell), "", "", "", "", "", ""])
    rows.append(
        [
            _p("Tổng số tiết được tính", _style("total", 9, bold=True, align=TA_LEFT)),
            "",
            "",
            "",
            "",
            "",
            _p(certificate.periods, _style("total-num", 9, bold=True)),
        ]
    )
    widths = [11 * mm, 23 * mm, 58 * mm, 28 * mm, 28 * mm, 14 * mm, 16 * mm]
    table = Table(rows, colWidths=widths, repeatRows=1)
    style = [
        ("GRID", (0, 0), (-1, -1), 0.5, INK),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f3f4f6")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("SPAN", (0, -1), (5, -1)),
    ]
    if not certificate.details:
        style.append(("SPAN", (0, 1), (-1, 1)))
    table.setStyle(TableStyle(style))
    story.append(table)
    story.append(Spacer(1, 4 * mm))
    required = certificate.required or 0
    story.append(_p(f"Số tiết yêu cầu của năm: {required} tiết ({certificate.explanation})", body))
    if certificate.periods >= required:
        verdict = "Kết quả: đã đủ số tiết yêu cầu của năm."
    else:
        verdict = f"Kết quả: còn thiếu {required - certificate.periods} tiết so với yêu cầu."
    story.append(_p(verdict, _style("verdict", 10.5, bold=True, align=TA_LEFT)))
    story.append(Spacer(1, 6 * mm))
    issued = f"Số liệu tại thời điểm cấp, {vn_long_date(certificate.issued_at)}. {issuer}."
    story.append(_QrBlock(url, code, issued))

    def footer(canvas: Canvas, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 8)
        canvas.setFillColor(INK)
        canvas.drawString(16 * mm, 10 * mm, nfc(f"{title} · {certificate.person_name} · {code}"))
        canvas.drawRightString(A4[0] - 16 * mm, 10 * mm, f"Trang {doc.page}")
        canvas.restoreState()

    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
