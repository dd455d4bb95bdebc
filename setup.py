"""Build hook only (the project is configured in pyproject.toml): ship the top-level prompts/ as extractor/_prompts/."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

PROMPTS = Path(__file__).resolve().parent / "prompts"


class BuildPyWithPrompts(build_py):
    """build_py that copies the prompt files into the built package, where an installed extractor finds them."""

    def run(self) -> None:
        super().run()
        # An editable install reads prompts/ in place (extractor/mapping/prompts.py looks there second).
        if PROMPTS.is_dir() and not getattr(self, "editable_mode", False):
            shutil.copytree(PROMPTS, Path(self.build_lib) / "extractor" / "_prompts", dirs_exist_ok=True)


setup(cmdclass={"build_py": BuildPyWithPrompts})
