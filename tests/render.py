"""Test-only rendering of records into ruled-table PDFs and scan-like images (not the corpus generator)."""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import pymupdf

from extractor.records.models import FundRow, Record

A4 = (595.0, 842.0)
COLS = [38.0, 58.0, 66.0, 112.0, 62.0, 62.0, 36.0, 36.0, 85.0]  # 9 columns, 555 pt
LEFT, TOP, BOTTOM = 20.0, 80.0, 40.0
FONT_SIZE = 7.5
LINE_H = FONT_SIZE * 1.35
_FONT: pymupdf.Font | None = None


def font() -> pymupdf.Font:
    global _FONT
    if _FONT is None:
        _FONT = pymupdf.Font("china-s")
    return _FONT


@dataclass
class Box:
    row: int
    col: int
    text: str
    col_span: int = 1
    row_span: int = 1
    align: str = "left"


def _d(value: object) -> str:
    return "—" if value is None else format(value, "f") if not isinstance(value, str) else value


def _wrap(text: str, width: float) -> list[str]:
    lines, current = [], ""
    for ch in text:
        if current and font().text_length(current + ch, FONT_SIZE) > width:
            lines.append(current)
            current = ""
        current += ch
    return [*lines, current] if current else lines or [""]


def layout(record: Record) -> list[Box]:
    """The form's cells in a 9-column lattice, spans like the real form."""
    boxes: list[Box] = []
    r = 0
    boxes += [Box(r, 0, "项目名称", 2), Box(r, 2, record.project_name or "", 7)]
    r += 1
    boxes += [Box(r, 0, "主管部门", 2), Box(r, 2, record.department or "", 3), Box(r, 5, "实施单位", 2),
              Box(r, 7, record.implementing_unit or "", 2)]
    r += 1
    boxes.append(Box(r, 0, "项目资金（万元）", 1, 5))
    boxes += [Box(r, 1, ""), *[Box(r, 2 + i, h, 2 if i == 5 else 1) for i, h in
                               enumerate(["年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"])]]
    for label, row in zip(["年度资金总额", "其中：当年财政拨款", "上年结转资金", "其他资金"],
                          [record.funds.total, record.funds.current_year, record.funds.carryover, record.funds.other],
                          strict=True):
        r += 1
        values = [_d(getattr(row, k)) for k in FundRow.model_fields]
        boxes += [Box(r, 1, label), *[Box(r, 2 + i, v, 2 if i == 5 else 1, align="right") for i, v in enumerate(values)]]
    r += 1
    boxes += [Box(r, 0, "年度总体目标", 1, 2), Box(r, 1, "预期目标", 4), Box(r, 5, "实际完成情况", 4)]
    r += 1
    boxes += [Box(r, 1, record.goals.expected or "", 4), Box(r, 5, record.goals.actual or "", 4)]
    r += 1
    n = len(record.indicators)
    boxes.append(Box(r, 0, "绩效指标", 1, n + 1))
    boxes += [Box(r, 1 + i, h) for i, h in enumerate(
        ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析及改进措施"])]
    first = r + 1
    for key, col in (("level1", 1), ("level2", 2)):
        i = 0
        while i < n:
            j = i
            while j + 1 < n and getattr(record.indicators[j + 1], key) == getattr(record.indicators[i], key) and (
                    key == "level1" or record.indicators[j + 1].level1 == record.indicators[i].level1):
                j += 1
            boxes.append(Box(first + i, col, getattr(record.indicators[i], key) or "", 1, j - i + 1))
            i = j + 1
    for i, ind in enumerate(record.indicators):
        boxes += [Box(first + i, 3, ind.name or ""), Box(first + i, 4, ind.target or ""),
                  Box(first + i, 5, ind.actual or ""), Box(first + i, 6, _d(ind.weight), align="right"),
                  Box(first + i, 7, _d(ind.score), align="right"), Box(first + i, 8, ind.deviation or "")]
    r = first + n
    boxes += [Box(r, 0, "总分", 6), Box(r, 6, _d(record.total_weight), align="right"),
              Box(r, 7, _d(record.total_score), align="right"), Box(r, 8, "")]
    r += 1
    boxes += [Box(r, 0, "评分等级", 6), Box(r, 6, record.grade or "", 3)]
    return boxes


def _row_heights(boxes: list[Box]) -> list[float]:
    nrows = max(b.row + b.row_span for b in boxes)
    heights = [LINE_H + 6] * nrows
    for b in boxes:
        if b.row_span == 1:
            width = sum(COLS[b.col:b.col + b.col_span]) - 4
            heights[b.row] = max(heights[b.row], len(_wrap(b.text, width)) * LINE_H + 6)
    return heights


def render_pdf(records: list[Record], *, year_line: bool = True, lines: bool = True) -> bytes:
    """Born-digital PDF: each record's table on as many A4 pages as it needs (rows split at page ends)."""
    plans = []  # (record, boxes, heights, list of (first_row, last_row) per page)
    for record in records:
        boxes = layout(record)
        heights = _row_heights(boxes)
        chunks, start, y = [], 0, TOP + 30
        for i, h in enumerate(heights):
            if y + h > A4[1] - BOTTOM and i > start:
                chunks.append((start, i))
                start, y = i, TOP
            y += h
        chunks.append((start, len(heights)))
        plans.append((record, boxes, heights, chunks))
    doc = pymupdf.open()
    for _, _, _, chunks in plans:
        for _ in chunks:
            doc.new_page(width=A4[0], height=A4[1])
    page_no = 0
    for record, boxes, heights, chunks in plans:
        for k, (lo, hi) in enumerate(chunks):
            page = doc[page_no]
            page_no += 1
            tw = pymupdf.TextWriter(page.rect)
            y0 = TOP
            if k == 0:
                title = "财政项目支出绩效自评表"
                w = font().text_length(title, 16)
                tw.append(((A4[0] - w) / 2, 45), title, font=font(), fontsize=16)
                if year_line:
                    yt = f"({record.year} 年度)"
                    w = font().text_length(yt, 10)
                    tw.append(((A4[0] - w) / 2, 65), yt, font=font(), fontsize=10)
                y0 = TOP + 0
            ys = [y0]
            for h in heights[lo:hi]:
                ys.append(ys[-1] + h)
            xs = [LEFT]
            for c in COLS:
                xs.append(xs[-1] + c)
            shape = page.new_shape()
            for b in boxes:
                top, bottom = max(b.row, lo), min(b.row + b.row_span, hi)
                if top >= bottom:
                    continue
                rect = pymupdf.Rect(xs[b.col], ys[top - lo], xs[b.col + b.col_span], ys[bottom - lo])
                if lines:
                    shape.draw_rect(rect)
                if b.row < lo:
                    continue  # a merged cell cut by the page end prints its text once, on its first page
                wrapped = _wrap(b.text, rect.width - 4)
                ty = rect.y0 + (rect.height - len(wrapped) * LINE_H) / 2 + FONT_SIZE
                for line in wrapped:
                    lw = font().text_length(line, FONT_SIZE)
                    tx = rect.x1 - 2 - lw if b.align == "right" else rect.x0 + 2
                    if b.align == "left" and b.col_span * 1 >= 1 and len(wrapped) == 1 and b.row_span > 1:
                        tx = rect.x0 + (rect.width - lw) / 2
                    tw.append((tx, ty), line, font=font(), fontsize=FONT_SIZE)
                    ty += LINE_H
            shape.finish(color=(0, 0, 0), width=0.6)
            shape.commit()
            tw.write_text(page)
    return doc.tobytes()


def scan(pdf: bytes, *, dpi: int = 200, angle: float = 0.0, noise: float = 6.0, blur: bool = True,
         seed: int = 0, jpeg_quality: int = 80) -> list[np.ndarray]:
    """Each page as a grey 'scan': rasterised, rotated, blurred, noisy, JPEG-compressed."""
    import cv2

    rng = np.random.default_rng(seed)
    out = []
    with pymupdf.open(stream=pdf, filetype="pdf") as doc:
        for page in doc:
            pix = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY)
            img = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.width).copy()
            if angle:
                h, w = img.shape
                m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
                img = cv2.warpAffine(img, m, (w, h), borderValue=255, flags=cv2.INTER_LINEAR)
            if blur:
                img = cv2.GaussianBlur(img, (3, 3), 0.6)
            if noise:
                img = np.clip(img.astype(np.float32) + rng.normal(0, noise, img.shape), 0, 255).astype(np.uint8)
            ok, enc = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality])
            assert ok
            out.append(cv2.imdecode(enc, cv2.IMREAD_GRAYSCALE))
    return out


def image_pdf(images: list[np.ndarray], dpi: int = 200) -> bytes:
    """A PDF of image-only pages (what a scanner writes)."""
    import cv2

    doc = pymupdf.open()
    for img in images:
        h, w = img.shape[:2]
        page = doc.new_page(width=w * 72 / dpi, height=h * 72 / dpi)
        ok, enc = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 85])
        assert ok
        page.insert_image(page.rect, stream=enc.tobytes())
    return doc.tobytes()


def png(img: np.ndarray) -> bytes:
    """PNG bytes of a grey image."""
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG")
    return buf.getvalue()
