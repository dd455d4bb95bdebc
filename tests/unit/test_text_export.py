"""The text-export reader: encodings, form boundaries, bad input."""

import pytest

from extractor.errors import BinaryContentError, DocumentLoadError, EmptyDocumentError, NoFormFoundError
from extractor.ingest.text_export import decode_bytes, read_text_export, split_forms


def test_splits_the_seed_into_ten_forms(seed_export):
    grids, encoding = read_text_export(seed_export.read_bytes())
    assert encoding == "utf-8"
    assert len(grids) == 10
    assert grids[0].first_line == 1 and grids[-1].last_line == 260
    cell = grids[0].rows[2][2]
    assert cell.id == f"L{cell.line}C3" and cell.text == "巡查员工作经费"


def test_gbk_export_reads_the_same(seed_text):
    data = seed_text.encode("gbk")
    grids, encoding = read_text_export(data)
    assert encoding == "gb18030"
    assert len(grids) == 10
    assert grids[3].rows[2][2].text == "安全宣传"


def test_utf8_bom_and_utf16(seed_text):
    assert len(read_text_export(b"\xef\xbb\xbf" + seed_text.encode("utf-8"))[0]) == 10
    assert len(read_text_export(seed_text.encode("utf-16"))[0]) == 10


@pytest.mark.parametrize(("data", "error"), [
    (b"", EmptyDocumentError),
    (b"   \n\n\t ", EmptyDocumentError),
    (bytes(range(256)) * 40, BinaryContentError),
    ("尊敬的领导：\n\n现将有关情况报告如下。\n此致\n敬礼".encode(), NoFormFoundError),
])
def test_bad_input_raises_typed_load_errors(data, error):
    with pytest.raises(error) as info:
        read_text_export(data)
    assert isinstance(info.value, DocumentLoadError)
    assert info.value.to_dict()["code"] == error.code


def test_random_bytes_are_not_text():
    import random
    rng = random.Random(7)
    garbage = bytes(rng.randrange(256) for _ in range(5000))
    with pytest.raises(DocumentLoadError):
        decode_bytes(garbage)


def test_form_without_title_is_still_a_form(seed_text):
    lines = seed_text.splitlines()[6:26]  # form 1 without its title and year
    chunks = split_forms("\n".join(lines))
    assert len(chunks) == 1


def test_csv_export(seed_text):
    import csv
    import io
    out = io.StringIO()
    writer = csv.writer(out)
    for line in seed_text.splitlines()[:28]:
        writer.writerow(line.split("\t"))
    grids, _ = read_text_export(out.getvalue().encode())
    assert len(grids) == 1
    assert any(c.text == "巡查员工作经费" for c in grids[0].cells())


def test_numbers_in_cells():
    from decimal import Decimal

    from extractor.tables.rows import number_of
    assert number_of("1,200,000.00") == Decimal("1200000.00")
    assert number_of("10,00") == Decimal("10.00")  # OCR's comma for a decimal point
    assert number_of("95.00%") == Decimal("95.00")
    assert number_of("10分") == Decimal("10")
    assert number_of("3,5") is None
    assert number_of("达成") is None
