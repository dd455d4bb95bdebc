"""Test corpus generator: gold records rendered as born-digital PDFs, scans, images and messy text exports.

Dataset layout (written by `scripts/make_corpus.py -o DIR`)::

    DIR/manifest.json
    DIR/<kind>/<stem>.<ext>                       born_digital/bd-0001.pdf, scan/scan-0001.pdf,
                                                  image/img-0001.png|jpg|tif, text_export/export-0001.txt
    DIR/gold/<kind>/<stem>/form-NN.json           one gold file per form, in printed order
    DIR/broken/<name>                             with --broken N

manifest.json::

    {"version": 1,
     "generator": {"script": "scripts/make_corpus.py", "command": "...", "options": {...}},
     "documents": [
       {"path": "born_digital/bd-0001.pdf",       # relative to the manifest
        "kind": "pdf" | "scan" | "image" | "text_export",
        "forms": ["gold/born_digital/bd-0001/form-01.json", ...],   # relative to the manifest, in order
        "layout": "seed" | "split" | "extended", "pages": 2, "encoding": "utf-8" | "gbk",
        "expect": {"status": "ok", "forms": 1},
        "meta": {"scan": [{"dpi": 200, "angle": -1.3, ...}, ...]}},
       {"path": "broken/encrypted-03.pdf", "kind": "pdf", "forms": [], "broken": "encrypted_pdf",
        "expect": {"status": "failed", "error_code": ["ENCRYPTED_DOCUMENT"]}},
       {"path": "broken/cut-07.txt", "kind": "text_export", "forms": [], "broken": "cut_form",
        "expect": {"status": "ok", "forms": 1, "form_status": "needs_review", "missing_fields": [...]}}]}

`expect.error_code` lists the acceptable codes of extractor/errors.py when more than one reading is fair
(a truncated PDF may be reported corrupt, or repaired into nothing that is a form).

A gold file is the seed's format plus `meta`::

    {"source": "born_digital/bd-0001.pdf", "form_index": 1, "record": {...record v1...},
     "expected_findings": ["FUND_COMPONENTS", ...],
     "meta": {"kind": "born_digital", "layout": "split", "origin": "random/born_digital/003" | "seed/form-04",
              "planted": ["FUND_COMPONENTS"], "pages": [1, 2],
              "target_convention": "...", "money_unit": "元"}}

- `expected_findings`: every warning/error code true of the form. For random forms the generator computes it
  from its own facts (truth.py: what it planted, which actual values meet their targets), never from
  extractor.checking; for seed forms it is the hand-checked list.
- Layout `split` prints 年度指标值 as 指标性质 | 指标值 | 度量单位; the gold target is the three printed parts
  concatenated with 定性 left out (`≥`+`50`+`个` → `≥50个`, `=`+`100.00`+`%` → `=100.00%`, `定性`+`下降` → `下降`).
- Layout `extended` prints money in 元: the gold holds the amounts as printed (万元 × 10000).
"""
