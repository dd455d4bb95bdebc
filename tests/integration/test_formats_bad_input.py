"""Office files, web pages and OFD that attack the reader or cannot be read: each is refused with a typed error
(or read within its limits) in bounded time and memory, and the batch goes on (issue 14, "Bad input")."""

from __future__ import annotations

import io
import random
import resource
import shutil
import time
import zipfile
from pathlib import Path

import pytest

from extractor.ingest.loader import DocumentKind, sniff
from extractor.pipeline import extract_bytes
from extractor.settings import Settings
from scripts.corpus.dataset import seed_forms
from scripts.corpus.formats import libreoffice_available, libreoffice_convert, to_docx, to_html, to_xlsx
from scripts.corpus.layouts import Printing, build

SECONDS = 20.0  # every refusal below comes far sooner; this bounds a regression that would hang


def _layouts(n: int = 1) -> list:
    rng = random.Random(14)
    return [build(form, "seed", Printing(), rng) for form in seed_forms()[:n]]


def _docx() -> bytes:
    return to_docx(_layouts(), random.Random(1))


def _xlsx() -> bytes:
    return to_xlsx(_layouts(), random.Random(1))


def _rezip(data: bytes, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, (replace or {}).get(info.filename, src.read(info.filename)))
        for name, body in (add or {}).items():
            dst.writestr(name, body)
    return out.getvalue()


def _extract(data: bytes, name: str, settings: Settings | None = None) -> tuple[dict, float]:
    start = time.perf_counter()
    result = extract_bytes(data, name, settings or Settings())
    elapsed = time.perf_counter() - start
    assert elapsed < SECONDS, (name, elapsed)
    return result.model_dump(mode="json"), elapsed


def _code(result: dict) -> str | None:
    return (result.get("error") or {}).get("code")


def test_zip_bomb_is_refused_after_counting_what_it_really_inflates():
    # 160 MB of zeros in one member (declared honestly): past the per-member limit, inflated chunk by chunk.
    out = io.BytesIO(_rezip(_docx()))
    with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as zf, zf.open("word/media/zeros.bin", "w") as fh:
        chunk = b"\0" * (1 << 20)
        for _ in range(160):  # 160 MB (over the 128 MB per member) written a megabyte at a time: the test never holds the bomb either
            fh.write(chunk)
    bomb = out.getvalue()
    assert len(bomb) < 2_000_000
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result, _ = _extract(bomb, "bomb.docx")
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert result["status"] == "failed" and _code(result) == "RESOURCE_LIMIT", result["error"]
    assert grown_mb < 100  # inflated in chunks, never held whole


def test_zip_whose_headers_lie_about_sizes_is_refused():
    data = bytearray(_rezip(_docx(), add={"word/media/zeros.bin": b"\0" * (8 * 1024 * 1024)}))
    # Shrink the declared size of the big member in its central directory entry: inflation is counted anyway.
    at = data.rfind(b"word/media/zeros.bin")
    header = data.rfind(b"PK\x01\x02", 0, at)
    data[header + 24:header + 28] = (1000).to_bytes(4, "little")
    result, _ = _extract(bytes(data), "lying.docx")
    assert result["status"] == "failed" and _code(result) in ("CORRUPT_DOCUMENT", "RESOURCE_LIMIT"), result["error"]


def test_zip_with_thousands_of_members_is_refused():
    many = _rezip(_xlsx(), add={f"xl/media/m{k}.bin": b"x" for k in range(5000)})
    result, elapsed = _extract(many, "many.xlsx")
    assert result["status"] == "failed" and _code(result) == "RESOURCE_LIMIT", result["error"]
    assert "5" in result["error"]["message"]


_LAUGHS = (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
           + b"".join(f'<!ENTITY lol{k} "{("&lol" + str(k - 1) + ";") * 10 if k else "&lol;" * 10}">'.encode()
                      for k in range(10))
           + b']>\n<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p>'
           b"<w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>")
_XXE = (b'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n'
        b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r>'
        b"<w:t>&e;</w:t></w:r></w:p></w:body></w:document>")


@pytest.mark.parametrize(("name", "part"), [("laughs.docx", _LAUGHS), ("xxe.docx", _XXE)])
def test_entity_declarations_in_word_xml_are_refused_unparsed(name, part):
    result, _ = _extract(_rezip(_docx(), replace={"word/document.xml": part}), name)
    assert result["status"] == "failed" and _code(result) == "UNSAFE_DOCUMENT", result["error"]
    assert "root:" not in str(result)


def test_entity_declarations_in_a_workbook_part_are_refused():
    data = _xlsx()
    sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    head, _, rest = sheet.partition(b"?>")
    hostile = head + b'?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>' + rest.replace(b"</sheetData>", (
        b'<row r="90"><c r="A90" t="inlineStr"><is><t>&e;</t></is></c></row></sheetData>'))
    result, _ = _extract(_rezip(data, replace={"xl/worksheets/sheet1.xml": hostile}), "xxe.xlsx")
    assert result["status"] == "failed" and _code(result) == "UNSAFE_DOCUMENT", result["error"]


def test_entity_declarations_in_an_ofd_are_refused():
    from scripts.corpus.formats import to_ofd

    data, _ = to_ofd(_layouts())
    ofd_xml = _LAUGHS.replace(b"w:document", b"ofd:OFD")
    result, _ = _extract(_rezip(data, replace={"OFD.xml": ofd_xml}), "laughs.ofd")
    assert result["status"] == "failed" and _code(result) == "UNSAFE_DOCUMENT", result["error"]


def test_a_web_page_with_entities_expands_nothing_and_reads_no_file():
    page, _ = to_html(_layouts(), random.Random(2))
    text = page.decode("gbk" if b"gb2312" in page or b"gbk" in page else "utf-8")
    hostile = text.replace("<!DOCTYPE html>", '<!DOCTYPE html [<!ENTITY e SYSTEM "file:///etc/passwd">'
                           '<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>')
    hostile = hostile.replace("</body>", "<p>&e;&b;&b;&b;</p></body>")
    result, _ = _extract(hostile.encode("utf-8").replace(b"charset=gb2312", b"charset=utf-8")
                         .replace(b"charset=gbk", b"charset=utf-8"), "entities.html")
    assert result["status"] in ("ok", "partial") and len(result["forms"]) == 1
    assert "root:" not in str(result)


def test_a_million_empty_rows_are_not_read():
    data = _xlsx()
    src = zipfile.ZipFile(io.BytesIO(data))
    sheet = src.read("xl/worksheets/sheet1.xml")
    rows = b"".join(b'<row r="%d" spans="1:9" s="1" customFormat="1"/>' % n for n in range(100, 1_000_100))
    sheet = sheet.replace(b"</sheetData>", rows + b"</sheetData>")
    big = _rezip(data, replace={"xl/worksheets/sheet1.xml": sheet})
    result, elapsed = _extract(big, "million.xlsx")
    assert result["status"] == "ok" and len(result["forms"]) == 1, result["error"]
    assert elapsed < 10


def test_a_sheet_past_the_row_limit_is_read_up_to_it_and_reported():
    data = _xlsx()
    src = zipfile.ZipFile(io.BytesIO(data))
    sheet = src.read("xl/worksheets/sheet1.xml")
    rows = b"".join(b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>x</t></is></c></row>' % (n, n)
                    for n in range(100, 3000))
    big = _rezip(data, replace={"xl/worksheets/sheet1.xml": sheet.replace(b"</sheetData>", rows + b"</sheetData>")})
    result, _ = _extract(big, "long.xlsx", Settings(max_sheet_rows=1000))
    assert result["status"] == "partial" and len(result["forms"]) == 1


def test_a_table_of_huge_spans_is_refused():
    cells = '<td colspan="1000" rowspan="65534">x</td>' * 50
    page = f"<html><body><p>项目支出绩效自评表</p><table>{('<tr>' + cells + '</tr>') * 200}</table></body></html>"
    result, _ = _extract(page.encode("utf-8"), "spans.html")
    assert result["status"] == "failed" and _code(result) == "RESOURCE_LIMIT", result["error"]


def test_password_protected_office_open_xml_files_are_refused():
    msoffcrypto = pytest.importorskip("msoffcrypto")
    from msoffcrypto.format.ooxml import OOXMLFile

    for name, data in (("secret.docx", _docx()), ("secret.xlsx", _xlsx())):
        out = io.BytesIO()
        OOXMLFile(io.BytesIO(data)).encrypt("secret", out)
        assert sniff(out.getvalue()) is DocumentKind.UNSUPPORTED
        result, _ = _extract(out.getvalue(), name)
        assert result["status"] == "failed" and _code(result) == "ENCRYPTED_DOCUMENT", (name, result["error"])
    del msoffcrypto


def test_encrypted_zip_members_are_refused():
    data = bytearray(_docx())
    # Set the "encrypted" flag of every member (local and central headers), as a password-zipped package has it.
    for sig, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(sig)
        while at >= 0:
            data[at + offset] |= 0x1
            at = data.find(sig, at + 4)
    result, _ = _extract(bytes(data), "zipcrypto.docx")
    assert result["status"] == "failed" and _code(result) == "ENCRYPTED_DOCUMENT", result["error"]


def test_macros_in_a_docm_or_xlsm_are_never_run_and_are_noted():
    for name, data in (("macro.docm", _docx()), ("macro.xlsm", _xlsx())):
        folder = "word" if name.endswith("docm") else "xl"
        with_macros = _rezip(data, add={f"{folder}/vbaProject.bin": b"\xd0\xcf\x11\xe0not run"})
        result, _ = _extract(with_macros, name)
        assert result["status"] == "ok" and len(result["forms"]) == 1, result["error"]


def test_containers_of_other_kinds_are_unsupported_and_named():
    odt = _rezip(b"PK\x05\x06" + b"\0" * 18, add={"mimetype": b"application/vnd.oasis.opendocument.text",
                                                  "content.xml": b"<office:document-content/>"})
    plain = _rezip(b"PK\x05\x06" + b"\0" * 18, add={"a.pdf": b"%PDF-1.4", "b.txt": b"x"})
    pptx = _rezip(b"PK\x05\x06" + b"\0" * 18, add={"ppt/presentation.xml": b"<p/>"})
    for name, data, says in (("a.odt", odt, "OpenDocument"), ("a.zip", plain, "zip archive"),
                             ("a.pptx", pptx, "PowerPoint"), ("a.rar", b"Rar!\x1a\x07\x00" + b"\0" * 64, "RAR")):
        result, _ = _extract(data, name)
        assert result["status"] == "failed" and _code(result) == "UNSUPPORTED_FORMAT", (name, result["error"])
        message = result["error"]["message"]
        assert says in message and ".docx" in message and ".xlsx" in message and "OFD" in message, message


def test_a_truncated_office_file_is_corrupt_not_binary_content():
    data = _docx()
    result, _ = _extract(data[: len(data) // 2], "cut.docx")
    assert result["status"] == "failed" and _code(result) in ("CORRUPT_DOCUMENT", "UNSUPPORTED_FORMAT"), result["error"]
    assert _code(result) != "BINARY_CONTENT"


def test_without_libreoffice_a_doc_is_a_configuration_error_naming_the_packages(tmp_path):
    doc = Path(__file__).resolve().parents[1] / "data" / "formats" / "seed-01.doc"
    if not doc.exists():
        pytest.skip("fixture missing")
    result, _ = _extract(doc.read_bytes(), "a.doc", Settings(soffice=str(tmp_path / "no-soffice")))
    assert result["status"] == "failed" and _code(result) == "CONFIGURATION_ERROR"
    assert "libreoffice-core" in result["error"]["message"] and "libreoffice-writer" in result["error"]["message"]


def test_a_converter_that_hangs_is_stopped_at_its_timeout(tmp_path):
    doc = Path(__file__).resolve().parents[1] / "data" / "formats" / "seed-01.doc"
    if not doc.exists():
        pytest.skip("fixture missing")
    fake = tmp_path / "soffice"
    fake.write_text("#!/bin/sh\nsleep 60 &\nsleep 60\n")
    fake.chmod(0o755)
    result, elapsed = _extract(doc.read_bytes(), "a.doc", Settings(soffice=str(fake), soffice_timeout_s=1.0))
    assert result["status"] == "failed" and _code(result) == "RESOURCE_LIMIT", result["error"]
    assert elapsed < 8


def test_a_password_protected_word_97_document_is_refused_before_conversion(tmp_path):
    olefile = pytest.importorskip("olefile")
    doc = Path(__file__).resolve().parents[1] / "data" / "formats" / "seed-01.doc"
    if not doc.exists():
        pytest.skip("fixture missing")
    path = tmp_path / "secret.doc"
    shutil.copy(doc, path)
    with olefile.OleFileIO(str(path), write_mode=True) as ole:
        stream = bytearray(ole.openstream("WordDocument").read())
        stream[11] |= 0x01  # FIB flags: fEncrypted
        ole.write_stream("WordDocument", bytes(stream))
    # A converter that would hang shows that LibreOffice is never started for it.
    result, _ = _extract(path.read_bytes(), "secret.doc", Settings(soffice="/bin/false"))
    assert result["status"] == "failed" and _code(result) == "ENCRYPTED_DOCUMENT", result["error"]


@pytest.mark.slow
@pytest.mark.skipif(not libreoffice_available(), reason="LibreOffice is not installed")
def test_libreoffice_profile_forbids_macros_and_links():
    from extractor.ingest import libreoffice

    assert "<value>3</value>" in libreoffice._PROFILE and "DisableMacrosExecution" in libreoffice._PROFILE
    assert libreoffice_convert(b"<html><body><p>x</p></body></html>", "html", "doc")[:4] == b"\xd0\xcf\x11\xe0"
