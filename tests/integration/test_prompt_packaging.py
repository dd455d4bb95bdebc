"""The prompt files ship inside the built package and are found there, with no source checkout around."""

import subprocess
import sys

from extractor.mapping.prompts import load_prompt
from tests.conftest import ROOT


def test_built_package_carries_and_finds_the_prompts(tmp_path):
    build = tmp_path / "build"
    subprocess.run([sys.executable, "setup.py", "-q", "build_py", "--build-lib", str(build)], cwd=ROOT, check=True,
                   capture_output=True)
    for source in (ROOT / "prompts").rglob("*"):
        if source.is_file():
            shipped = build / "extractor" / "_prompts" / source.relative_to(ROOT / "prompts")
            assert shipped.read_bytes() == source.read_bytes()
    # A fresh interpreter importing the built package (not the checkout) renders the prompt from its own copy.
    probe = ("import extractor.mapping.prompts as p; d = p.prompts_dir(); "
             "print(d); print(p.load_prompt('map_rows', 'v1').hash)")
    out = subprocess.run([sys.executable, "-c", probe], cwd=build, check=True, capture_output=True, text=True,
                         env={"PYTHONPATH": str(build), "PATH": "/usr/bin:/bin"}).stdout.split()
    assert out[0] == str(build / "extractor" / "_prompts")
    assert out[1] == load_prompt("map_rows", "v1").hash
