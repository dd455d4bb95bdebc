"""Table lattice from ruling lines: spans, broken lines, straddling tokens, lineless fallback, form splitting."""

from extractor.ingest.pages import text_layer_problem
from extractor.layout import SourceKind
from extractor.tables.forms import PageLayout, assemble
from extractor.tables.grid import Glyph, cluster_table, fill_cells, find_tables, split_glyph, text_lines
from extractor.tables.lines import Segment, merge_segments


def _box(xs, ys, skip_v=(), skip_h=()):
    """Segments of a full lattice, minus vertical walls (x index, row) and horizontal walls (y index, col)."""
    segs = []
    for i, y in enumerate(ys):
        for c in range(len(xs) - 1):
            if (i, c) not in skip_h:
                segs.append(Segment(True, y, xs[c], xs[c + 1]))
    for j, x in enumerate(xs):
        for r in range(len(ys) - 1):
            if (j, r) not in skip_v:
                segs.append(Segment(False, x, ys[r], ys[r + 1]))
    return merge_segments(segs, tol=1.0)


def test_merged_cells_get_spans_and_sit_in_their_top_left_row():
    xs, ys = [0, 50, 100, 150], [0, 20, 40, 60]
    # (0,0)-(1,0) merged vertically: no horizontal wall at y index 1 under column 0;
    # (0,1)-(0,2) merged horizontally: no vertical wall at x index 2 in row 0.
    [table] = find_tables(_box(xs, ys, skip_v={(2, 0)}, skip_h={(1, 0)}), tol=2)
    cells = {(c.row, c.col): c for c in table.cells}
    assert (cells[(0, 0)].row_span, cells[(0, 0)].col_span) == (2, 1)
    assert (cells[(0, 1)].row_span, cells[(0, 1)].col_span) == (1, 2)
    assert (1, 0) not in cells and (0, 2) not in cells
    assert len(table.cells) == 9 - 2
    assert table.cell_at(10, 30) is cells[(0, 0)]


def test_a_broken_rulings_loose_middle_piece_still_separates_rows():
    """A faded line whose middle piece touches no vertical line forms a segment group of its own; it still
    separates the rows it lies between (it used to be ignored, merging two label cells into one)."""
    xs, ys = [0, 100, 250, 400], [0, 30, 60, 90]
    segs = _box(xs, ys, skip_h={(2, 1)})
    assert find_tables(segs, tol=3)[0].cell_at(150, 45).row_span == 2  # without the piece: one merged cell
    segs.append(Segment(True, 60, 115, 230))  # the wall under column 1, its ends faded away
    [table] = find_tables(segs, tol=3)
    cells = {(c.row, c.col): c for c in table.cells}
    assert cells[(1, 1)].row_span == 1 and (2, 1) in cells


def test_broken_line_still_separates_cells():
    xs, ys = [0, 100, 200], [0, 30, 60]
    segs = [s for s in _box(xs, ys) if not (not s.horizontal and s.pos == 100)]
    # The middle wall drawn with a gap (a faded scan): 70 % of each edge present.
    segs += [Segment(False, 100, 0, 12), Segment(False, 100, 20, 42), Segment(False, 100, 50, 60)]
    [table] = find_tables(segs, tol=2)
    assert len(table.cells) == 4
    # With most of the wall missing the two cells are one.
    segs2 = [s for s in _box(xs, ys) if not (not s.horizontal and s.pos == 100)] + [Segment(False, 100, 0, 5),
                                                                                     Segment(False, 100, 30, 60)]
    [table2] = find_tables(segs2, tol=2)
    assert {(c.row, c.col, c.col_span) for c in table2.cells} == {(0, 0, 2), (1, 0, 1), (1, 1, 1)}


def test_two_tables_on_a_page_are_separate():
    a = _box([0, 50, 100], [0, 20, 40])
    b = _box([0, 50, 100], [200, 220, 240])
    tables = find_tables(a + b, tol=2)
    assert [t.ys[0] for t in tables] == [0, 200]


def test_characters_fill_the_cell_holding_their_centre_and_wrapped_lines_join():
    [table] = find_tables(_box([0, 60, 120], [0, 40, 60]), tol=2)
    glyphs = [Glyph(ch, (2 + 8 * i, 5, 9 + 8 * i, 14)) for i, ch in enumerate("服务对象满意")]
    glyphs += [Glyph(ch, (2 + 8 * i, 20, 9 + 8 * i, 29)) for i, ch in enumerate("度指标")]
    glyphs += [Glyph(ch, (62 + 7 * i, 5, 68 + 7 * i, 14)) for i, ch in enumerate("10.00")]
    outside = fill_cells(table, glyphs + [Glyph("注", (0, 70, 8, 78))])
    texts = {(c.row, c.col): c.text for c in table.cells}
    assert texts == {(0, 0): "服务对象满意度指标", (0, 1): "10.00", (1, 0): "", (1, 1): ""}
    assert [g.text for g in outside] == ["注"]


def test_ocr_box_straddling_a_ruling_is_split_by_character_share():
    [table] = find_tables(_box([0, 40, 100], [0, 20, 40]), tol=2)
    # One OCR box "分值10.00" running over the wall at x=40: 2 CJK chars left, 5 chars right (width shares).
    fill_cells(table, [Glyph("分值10.00", (5, 4, 75, 16), 0.9)])
    assert [c.text for c in table.cells][:2] == ["分值", "10.00"]
    assert split_glyph(Glyph("abc", (0, 0, 30, 10)), [50]) == [Glyph("abc", (0, 0, 30, 10))]


def test_lineless_text_falls_back_to_column_clustering():
    rows = [["项目名称", "巡查员工作经费"], ["年度资金总额", "167.00", "148.79"], ["其他资金", "0.00", "0.00"]]
    starts = [0, 100, 180]
    glyphs = []
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            glyphs.append(Glyph(text, (starts[c], 20 * r, starts[c] + 9 * len(text), 20 * r + 10)))
    table = cluster_table(text_lines(glyphs))
    assert table is not None
    got = {(c.row, c.col): c.text for c in table.cells}
    assert got[(1, 0)] == "年度资金总额" and got[(1, 1)] == "167.00" and got[(2, 2)] == "0.00"
    assert got[(0, 1)] == "巡查员工作经费"


def _page(number, texts_by_row, title=False):
    """A page with a one-column ruled table whose rows carry the given texts."""
    ys = [100 + 20 * i for i in range(len(texts_by_row) + 1)]
    [table] = find_tables(_box([0, 80, 300], ys), tol=2)
    for cell in table.cells:
        cell.text = texts_by_row[cell.row][cell.col] if cell.col < len(texts_by_row[cell.row]) else ""
    free = [[Glyph("财政项目支出绩效自评表", (50, 40, 250, 60))]] if title else []
    return PageLayout(number=number, width=595, height=842, kind=SourceKind.PDF_TEXT, tables=[table], free_lines=free)


def test_forms_split_at_titles_and_continuation_pages_join_the_form_above():
    p1 = _page(1, [["项目名称", "甲"], ["一级指标", "二级指标"]], title=True)
    p2 = _page(2, [["产出指标", "数量指标"], ["总分", "100"]])  # no title: continues form 1
    p3 = _page(3, [["项目名称", "乙"], ["总分", "90"]], title=True)
    p4 = _page(4, [["项目名称", "丙"], ["总分", "80"]])  # no title, but a second 项目名称: a new form
    grids = assemble([p1, p2, p3, p4])
    assert [g.pages for g in grids] == [[1, 2], [3], [4]]
    first = grids[0]
    assert [c.text for c in first.rows[0]] == ["财政项目支出绩效自评表"]
    assert [[c.text for c in row] for row in first.rows[1:]] == [["项目名称", "甲"], ["一级指标", "二级指标"],
                                                                 ["产出指标", "数量指标"], ["总分", "100"]]
    assert first.rows[3][1].id == "p2r1c2" and first.rows[3][1].page == 2
    assert len({c.id for g in grids for c in g.cells()}) == sum(1 for g in grids for _ in g.cells())


def test_a_page_without_form_labels_gives_no_grid():
    letter = PageLayout(number=1, width=595, height=842, kind=SourceKind.PDF_TEXT,
                        free_lines=[[Glyph("尊敬的各位领导：您好！", (50, 50, 300, 62))]])
    assert assemble([letter]) == []


def test_text_layer_decision():
    assert text_layer_problem("财政项目支出绩效自评表 项目名称 巡查员工作经费") is None
    assert "no text layer" in text_layer_problem("  ")
    assert text_layer_problem("评分等级 优") is None  # a short tail page keeps its text layer
    assert "mojibake" in text_layer_problem("²ÆÕþÏîÄ¿Ö§³ö¼¨Ð§×ÔÆÀ±í ÏîÄ¿Ãû³Æ")
    assert "private-use" in text_layer_problem("\ue001\ue002\ue003\ue004\ue005\ue006\ue007\ue008\ue009")
    assert "no Chinese" in text_layer_problem("Dear Sir, thank you for your letter of May 3.")


def test_a_line_further_down_the_same_x_does_not_cancel_a_wall():
    from extractor.tables.grid import _coverage

    wall = [Segment(False, 100, 0, 30), Segment(False, 100, 300, 400)]
    assert _coverage(wall, 100, 10, 30, tol=2) == 1.0
    assert _coverage(wall, 100, 40, 60, tol=2) == 0.0


def test_a_single_row_table_is_a_table():
    """A form's last page may hold only 评分等级 | 优 in one ruled row: it must come out as cells, not as loose
    text (on scans the detector then missed 评分等级 and the grade was lost)."""
    [table] = find_tables(_box([0, 300, 400], [0, 25]), tol=2)
    assert [(c.row, c.col) for c in table.cells] == [(0, 0), (0, 1)]
    assert find_tables(_box([0, 300], [0, 25]), tol=2) == []  # a lone box is not a table


def test_a_continuation_page_at_another_scale_keeps_its_columns():
    """Pages of a multi-page TIFF may be scanned at different resolutions (here 300 and 250 dpi): a merged
    label cell on the second page must still cover the level-2 column, not the one before it."""
    xs = [0, 60, 160, 300, 500]
    p1 = _page(1, [["项目名称", "甲"]], title=True)
    [t1] = find_tables(_box(xs, [100, 120, 140]), tol=2)
    p1.tables = [t1]
    for cell in t1.cells:
        cell.text = ["绩效指标", "一级指标", "二级指标", "三级指标"][cell.col] if cell.row == 0 else f"r{cell.row}c{cell.col}"
    k = 250 / 300
    # Second page: the level-2 cell (column 2) spans two rows; everything drawn at 5/6 of the size.
    p2xs, p2ys = [x * k for x in xs], [y * k for y in (100, 120, 140)]
    [t2] = find_tables(_box(p2xs, p2ys, skip_h={(1, 2)}), tol=2)
    for cell in t2.cells:
        cell.text = "可持续影响指标" if cell.col == 2 else f"q{cell.row}c{cell.col}"
    p2 = PageLayout(number=2, width=595 * k, height=842 * k, kind=SourceKind.OCR, tables=[t2])
    [grid] = assemble([p1, p2])
    spanning = [c for row in grid.rows for c in row if c.text == "可持续影响指标"]
    assert [(c.col, c.row_span) for c in spanning] == [(2, 2)]
    assert [c.col for c in grid.rows[-1]] == [0, 1, 3]  # the row below: its level-2 column is covered
