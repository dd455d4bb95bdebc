"""Fuzzing the reader: a committed corpus of bad inputs, a harness that runs them, and seed mutations judged
against the seed's gold.

- `mutate.py`: random edits of the seed export (delete, duplicate, swap lines, flip a character, drop a tab)
  that remember where every cell came from, and `judge()`, which says whether a result read the damaged text
  faithfully (unchanged, changed exactly as its text changed, or needs_review) or silently wrong.
- `inputs.py`: the bad inputs (`scripts/fuzz_inputs.py make DIR`), each with what outcome is acceptable.
- `harness.py`: runs `extractor run --format jsonl` over a folder of them (`scripts/fuzz_inputs.py run DIR`)
  and tabulates exit code, status, error code, wall time and peak memory.
"""
