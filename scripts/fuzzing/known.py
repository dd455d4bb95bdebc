"""Known reader bugs the fuzz corpus and the mutation test hit today (issue 12), each with the module likely at
fault. Tests mark these cases as strict xfails with the reason, the harness names the cause beside a failing
input; when a bug is fixed its cases flag (XPASS) and come off these lists.
"""

from __future__ import annotations

DECODE = ("issue 12: decoding is all or nothing: one invalid byte, a cut last character or UTF-8 and GBK glued "
          "together give UNKNOWN_ENCODING and every form is lost (ingest/text_export.py decode_bytes)")
UTF16_NO_BOM = ("issue 12: UTF-16 without a BOM is refused as BINARY_CONTENT (its NULs) "
                "(ingest/text_export.py decode_bytes)")
UTF16_CUT = ("a UTF-16 export with its BOM cut to an odd length (or holding a lone surrogate) raises "
             "UnicodeDecodeError: INTERNAL_ERROR (ingest/text_export.py decode_bytes)")
CSV_QUOTES = ("issue 12: the CSV layout takes quotes that quote nothing as CSV quoting: `\"监理\"小区数量` → "
              "`监理小区数量` silently, a stray `\"` eats the rows after it (ingest/text_layout.py _csv_records)")
FUND_TAB = ("issue 12: a fund row (上年结转资金/其他资金/当年财政拨款) missing one tab is read with its cells shifted: "
            "amounts null or the 执行率 in 分值, status ok (tables/rows.py fund rows)")
UNREADABLE = ("issue 12: an unreadable amount (`1.67e2`, `=.00`, `元.00`, `0.0度`) becomes null with no finding, "
              "status ok (tables/rows.py, checking/completeness.py)")
LEVEL2_CARRIED = ("issue 12: a 二级指标 cell garbled (`指量指标`) or merged with its neighbour by a missing tab is "
                  "replaced by the level2 carried down from the row above, status ok (tables/rows.py carry-down)")
GOALS_LABEL = ("a 年度总体目标 label with one character changed (`年度总Z目标`) is neither repaired nor refused: it "
               "is glued to the front of goals.expected, status ok (tables/rows.py goals block)")
AFTER_TOTAL = ("an indicator row printed after the 总分 row is dropped without a finding; form 3's own WEIGHT_SUM "
               "error (110) then disappears and the form passes as ok (tables/rows.py end of the indicator block)")
MAGIC_BM = ("issue 12: two-byte magic: text or junk starting with `BM` goes to the image reader and Pillow's "
            "OSError escapes: INTERNAL_ERROR (ingest/loader.py sniff, ingest/pages.py image open)")
MAGIC_JPEG = ("JPEG magic followed by junk: Pillow's `OSError: Truncated File Read` escapes: INTERNAL_ERROR "
              "(ingest/pages.py image open)")
MAGIC_GIF = ("text whose first line starts with `GIF8` is sniffed as an image (a GIF starts `GIF87a`/`GIF89a`) "
             "and refused as CORRUPT_DOCUMENT: the forms are lost (ingest/loader.py sniff)")
HTML = ("issue 12: an HTML page (or one saved as .xls/.doc) is read as a text export: one form whose project "
        "name is markup (ingest/loader.py sniff: no HTML check)")
ORIENTATION = ("issue 12: turned pages (90°/180°/270°) and EXIF-rotated photos come back NO_FORM_FOUND "
               "(ingest/pages.py, ingest/scan.py: no orientation step)")
DEPTH_ALPHA = ("issue 12: 16-bit greyscale and transparent images come back NO_FORM_FOUND (ingest/pages.py image "
               "normalisation)")
BILEVEL = ("issue 12: a 1-bit CCITT G4 TIFF of form 1 loses every indicator row (needs_review, 14 MISSING_FIELD) "
           "where the same page as 8-bit PNG reads them all (the issue saw `=` lost in `=95.00%`) "
           "(ingest/pages.py, ingest/scan.py bilevel images)")
ORIENTATION_CRASH = ("a page turned 270° crashes the scan reader: `ValueError: zero-size array to reduction operation "
                     "minimum`, INTERNAL_ERROR (ingest/scan.py / tables/lines.py on a sideways page)")
TIFF_CUT = ("issue 12: a multi-page TIFF cut in its last page fails whole with INTERNAL_ERROR `Missing dimensions` "
            "instead of keeping its good pages (partial) (ingest/pages.py TIFF frames)")
RESIZE = ("issue 12: a 20×60000 px (or 60000×20 px) image: cv2.resize to width 0, INTERNAL_ERROR "
          "(ingest/scan.py / tables/lines.py scaling)")
BMP_HEADER = ("issue 12: a BMP cut inside its header: Pillow's OSError escapes, INTERNAL_ERROR "
              "(ingest/pages.py image open)")
PDF_CUT = ("issue 12: a two-form PDF cut at 90 % loses its second form and the document says ok, not partial "
           "(ingest/pages.py)")
RASTER_CAP = ("a 14400×14400 pt page is refused by pymupdf's own limit (`Overly large image`) and reported as "
              "CORRUPT_DOCUMENT, not RESOURCE_LIMIT: no cap of ours applies to a page's raster (ingest/pages.py)")
FIFO = "issue 12: a FIFO named like an export hangs `extractor run` (ingest/loader.py read_bytes; cli.py discover)"
DEV_ZERO = ("issue 12: a symlink to /dev/zero: stat says 0 bytes, read_bytes reads without end (killed at 2 GB) "
            "(ingest/loader.py read_bytes: no cap while reading)")
NON_UTF8_NAME = ("issue 12: a file name that is not UTF-8 crashes `run --format jsonl` with "
                 "PydanticSerializationError, nothing printed (cli.py emit, records/models.py source)")

# Inputs of tests/data/bad/ (manifest names) that fail today, and why.
INPUTS: dict[str, str] = {
}

# Mutations of tests/integration/test_seed_mutations.py (by number) that fail today, and why.
MUTATIONS: dict[int, str] = {
    882: AFTER_TOTAL,
}
