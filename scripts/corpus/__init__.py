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
        "family": "central" | "anhui" | "yunnan" | "sichuan" | "beijing" | "ningxia" | "department",
        "layout": "seed" | "split" | "extended" | "anhui" | … | "department",     # the form layout
        "text_layout": "tsv" | "pipe" | "cell_per_line" | "cell_per_line_bar" | "spaces",   # text exports only
        "pages": 2, "encoding": "utf-8" | "gbk",
        "expect": {"status": "ok", "forms": 1},
        "meta": {"scan": [{"dpi": 200, "angle": -1.3, ...}, ...]}},
       {"path": "broken/encrypted-03.pdf", "kind": "pdf", "forms": [], "broken": "encrypted_pdf",
        "expect": {"status": "failed", "error_code": ["ENCRYPTED_DOCUMENT"]}},
       {"path": "text_export/export-0019.txt", "kind": "text_export", "forms": [], "family": "department",
        "layout": "department", "text_layout": "pipe",
        "expect": {"status": "failed", "error_code": ["UNSUPPORTED_TEMPLATE"]}},
       {"path": "broken/cut-07.txt", "kind": "text_export", "forms": [], "broken": "cut_form",
        "expect": {"status": "ok", "forms": 1, "form_status": "needs_review", "missing_fields": [...]}}]}

`expect.error_code` lists the acceptable codes of extractor/errors.py when more than one reading is fair
(a truncated PDF may be reported corrupt, or repaired into nothing that is a form).

A gold file is the realworld gold format (eval/datasets/realworld/README.md: record v1.1, `template`, `skip_null`)
plus `meta`::

    {"source": "born_digital/bd-0001.pdf", "form_index": 1, "template": "central",
     "skip_null": ["reviewed_score", "evaluation", "indicators[].method"],
     "record": {...record v1.1...},
     "expected_findings": ["FUND_COMPONENTS", ...],
     "meta": {"kind": "born_digital", "layout": "split", "origin": "random/born_digital/003" | "seed/form-04",
              "planted": ["FUND_COMPONENTS"], "pages": [1, 2], "text_layout": "pipe", "traditional": true,
              "target_convention": "...", "money_unit": "元"}}

- `template`: the family id (extractor/templates/families/*.toml); `skip_null`: record paths the layout does not
  print at all (`grade` without a 评分等级, `funds.carryover` on Sichuan's form, `total_weight` where a 合计 or
  自评得分 gives the score only, `indicators[].nature` without a 指标性质 column, …).
- v1.1 fields: `money_unit` as the funds header prints it; `project_code` only where a code is printed before the
  name (Sichuan: project_name is then the whole cell `51092324T000010263357-…`); `funds.extra` (Sichuan's
  财政专户管理资金 / 单位资金); `nature` / `unit` where 指标性质 / 度量单位 have columns of their own; `method`
  (Beijing's 得分计算方法); `evaluation` (Sichuan's 评价结论 / 存在问题 / 改进措施); `reviewed_score` (Ningxia's 财政审核评分).

- `expected_findings`: every warning/error code true of the form. For random forms the generator computes it
  from its own facts (truth.py: what it planted, which actual values meet their targets), never from
  extractor.checking; for seed forms it is the hand-checked list.
- Layout `split` prints 年度指标值 as 指标性质 | 指标值 | 度量单位; the gold target is the three printed parts
  concatenated with 定性 left out (`≥`+`50`+`个` → `≥50个`, `=`+`100.00`+`%` → `=100.00%`, `定性`+`下降` → `下降`).
- Layout `extended` prints money in 元: the gold holds the amounts as printed (万元 × 10000).
- Families (`--families`, templates.md; the default `central` alone keeps the generator's draws of before the
  families, byte for byte): `anhui` ((A)/(B) headers, `年度资金总额:`, weight-only 一级 cells `(50分)`, wrapped
  二级 labels, `指标1:` names and placeholder rows that are not indicators, 注, no grade), `yunnan` (split target
  with ≧ ═ ﹦, 其他需要说明事项, grade on the 总分 line, 万元 or 元), `sichuan` (code-name, 调整后预算数 / 预算执行数 /
  权重, funds.extra, 合计 = total_score), `beijing` (年初预算数(A) the only budget: 执行率 = executed ÷ initial,
  得分计算方法 → `method`, 分值 before the target), `ningxia` (自评得分 / 财政审核评分, no funds 分值 / 得分: the
  indicators' weights make 100, 项目决策 / 项目管理 level1, 服务对象满意度指标 under 项目效益 with level1
  满意度指标), `department` (部门整体支出绩效自评表: documents with no gold the reader must refuse). Each is a
  FormLayout (layouts.py), so PDFs, scans and images come with it; truth.py applies each family's arithmetic.
- Text layouts (`--text-layouts`, taken in turn per export): `tsv` (the seed's messy export), `pipe`,
  `cell_per_line`, `cell_per_line_bar`, `spaces` (text_export.py; realworld/*/*.txt show each). With several
  families or text layouts an export holds 1–3 forms (at most `--forms-per-export`) so that each shows.
- `--traditional RATE`: that share of text exports converted with OpenCC s2t; their gold free text (names, targets,
  actuals, deviations, goals, project / department / unit, evaluation, method, nature, unit, extra labels) is
  converted too; labels stay canonical Simplified (level1, level2, grade, money_unit).
"""
