"""Prompt files: sandboxed rendering, versions and hashes, what the model is shown."""

import re

import pytest
from jinja2.exceptions import SecurityError, UndefinedError

from extractor.domain.vocabulary import LEVEL1, LEVEL2
from extractor.mapping.prompts import Prompt, grid_rows, listing, load_prompt, prompts_dir
from tests.support.llm import llm_settings, seed_grid


def test_templates_cannot_reach_python_objects():
    with pytest.raises(SecurityError):
        Prompt("t", "v1", {"user.jinja": "{{ x.__class__.__mro__ }}"}).render("user", x="a")
    with pytest.raises(SecurityError):
        Prompt("t", "v1", {"user.jinja": "{{ y.append(1) }}"}).render("user", y=[])
    with pytest.raises(UndefinedError):  # a variable the code forgot to pass is an error, not an empty string
        Prompt("t", "v1", {"user.jinja": "{{ missing }}"}).render("user")


def test_hash_follows_the_files():
    a = Prompt("t", "v1", {"user.jinja": "x", "example.json": "{}"})
    assert a.hash == Prompt("t", "v1", {"example.json": "{}", "user.jinja": "x"}).hash
    assert a.hash != Prompt("t", "v1", {"user.jinja": "x ", "example.json": "{}"}).hash
    assert re.fullmatch(r"[0-9a-f]{16}", a.hash)


def test_shipped_prompts_load_from_the_prompts_folder():
    prompt = load_prompt("map_rows", "v1")
    assert set(prompt.files) == {"system.jinja", "user.jinja", "example.json"}
    assert prompt.data("example")["answer"]["indicators"]
    assert (prompts_dir() / "map_rows" / "v1.system.jinja").is_file()


def test_system_prompt_carries_vocabulary_and_worked_example():
    from extractor.mapping.llm import LLMMapper

    mapper = LLMMapper(llm_settings("http://127.0.0.1:9/v1", None))
    [system, user] = mapper.messages(seed_grid(1))
    assert system["role"] == "system" and user["role"] == "user"
    for label in (*LEVEL1, *LEVEL2, "进度指标 → 时效指标"):
        assert label in system["content"]
    assert "[L16C3] 社会效益指" in system["content"] and '"value": "社会效益指标"' in system["content"]
    assert "L24C3 is line 24, column 3" in system["content"]
    # The user message is the form's cells: every non-blank cell with its id, nothing else of the file.
    grid = seed_grid(1)
    shown = re.findall(r"\[(L\d+C\d+)\]", user["content"])
    assert shown == [c.id for c in grid.cells() if c.text.strip()]
    assert "[L24C3] 服务对象满意度指" in user["content"]


def test_listing_one_row_per_line_blank_cells_left_out():
    rows = [[("a1", "项目名称"), ("a2", " "), ("a3", "巡查员\n工作经费")], [("b1", "")]]
    assert listing(rows) == "[a1] 项目名称 | [a3] 巡查员 工作经费"
    assert grid_rows(seed_grid(1), {0})[0][0][0] == seed_grid(1).rows[0][0].id
