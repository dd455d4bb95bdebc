"""Run the pipeline over a dataset once per configuration (OCR engine × mapper), timing each document.

Each configuration runs in a fresh subprocess by default, so its peak resident memory (ru_maxrss) is its own:
interpreter, models and all. A configuration whose mapper is a Python object (the test hook) runs in this
process instead, and its memory is Python's traced peak (tracemalloc: Python allocations only).
"""

from __future__ import annotations

import importlib
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, Field

from extractor.errors import ConfigurationError, ExtractorError
from extractor.evaluate.datasets import Dataset
from extractor.mapping import Mapper, get_mapper
from extractor.pipeline import extract
from extractor.records.models import DocumentResult
from extractor.settings import MapperName, OcrEngineName, Settings, get_settings

MapperFactory = Callable[[Settings], Mapper]
MEMORY_RSS = "peak RSS of a fresh subprocess (ru_maxrss)"
MEMORY_TRACEMALLOC = "peak of Python allocations in-process (tracemalloc; native buffers not counted)"


@dataclass(frozen=True)
class Configuration:
    """One cell of the grid: an OCR engine and a mapper (a name, `module:callable`, or a factory object)."""

    ocr: str
    mapper: str
    factory: MapperFactory | None = field(default=None, compare=False, repr=False)

    @property
    def label(self) -> str:
        """How reports name it, e.g. `rules/rapid`."""
        return f"{self.mapper}/{self.ocr}"


def _split(value: str | None, default: str) -> list[str]:
    items = [v.strip() for v in (value or default).split(",") if v.strip()]
    return list(dict.fromkeys(items))


def parse_grid(ocr: str | None = None, mapper: str | None = None) -> list[Configuration]:
    """Every OCR × mapper pair from comma-separated lists (defaults: the settings' engine, the rules mapper)."""
    defaults = get_settings()
    engines = _split(ocr, defaults.ocr.value)
    mappers = _split(mapper, MapperName.RULES.value)
    for engine in engines:
        if engine not in {e.value for e in OcrEngineName}:
            raise ConfigurationError(f"unknown OCR engine {engine!r}; choose from "
                                     f"{', '.join(e.value for e in OcrEngineName)}", ocr=engine)
    for name in mappers:
        if ":" not in name and name not in {m.value for m in MapperName}:
            raise ConfigurationError(f"unknown mapper {name!r}; choose from "
                                     f"{', '.join(m.value for m in MapperName)} or module:callable", mapper=name)
    return [Configuration(ocr=e, mapper=m) for m in mappers for e in engines]


def settings_for(config: Configuration) -> Settings:
    """The settings a configuration runs with (environment first, the configuration's choices on top)."""
    builtin = config.mapper in {m.value for m in MapperName}
    return get_settings(ocr=config.ocr, mapper=config.mapper if builtin else MapperName.RULES.value)


def load_mapper(config: Configuration, settings: Settings) -> Mapper:
    """The configuration's mapper: built in, a factory object, or `module:callable` called with the settings."""
    if config.factory is None and ":" not in config.mapper:
        return get_mapper(config.mapper, settings)
    factory = config.factory or _import_factory(config.mapper)
    try:
        mapper = factory(settings)
    except ExtractorError:
        raise
    except Exception as exc:  # a plug-in's own failure is a configuration problem, reported with its cause
        raise ConfigurationError(f"mapper {config.mapper} could not be built: {type(exc).__name__}: {exc}",
                                 mapper=config.mapper) from exc
    if not callable(mapper):
        raise ConfigurationError(f"{config.mapper}(settings) did not return a mapper", mapper=config.mapper)
    return mapper


def _import_factory(spec: str) -> MapperFactory:
    module_name, _, attr = spec.partition(":")
    # Like uvicorn's app dir: a plug-in module in the working directory is importable without installing it.
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        factory = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ConfigurationError(f"cannot load mapper {spec}: {exc}", mapper=spec) from exc
    if not callable(factory):
        raise ConfigurationError(f"mapper {spec} is not callable", mapper=spec)
    return factory  # type: ignore[no-any-return]


class DocumentRun(BaseModel):
    """One document through one configuration."""

    index: int
    result: DocumentResult
    seconds: float
    cpu_seconds: float


class ConfigRun(BaseModel):
    """What one configuration produced over the dataset, and what it cost."""

    label: str
    ocr: str
    mapper: str
    error: dict[str, object] | None = Field(default=None, description="why the configuration could not run at all")
    documents: list[DocumentRun] = Field(default_factory=list)
    peak_memory_mb: float | None = None
    memory_method: str | None = None


def _cpu_seconds() -> float:
    """CPU time of this process (all threads) and of the child processes it waited for (Tesseract runs as one)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def run_configuration(dataset: Dataset, config: Configuration, progress: bool = False) -> ConfigRun:
    """Extract every document of the dataset with one configuration, in this process."""
    run = ConfigRun(label=config.label, ocr=config.ocr, mapper=config.mapper)
    settings = settings_for(config)
    try:
        mapper = load_mapper(config, settings)
    except ExtractorError as exc:
        run.error = exc.to_dict()
        return run
    total = len(dataset.documents)
    for i, entry in enumerate(dataset.documents):
        wall, cpu = time.perf_counter(), _cpu_seconds()
        result = extract(entry.path, settings, mapper)
        run.documents.append(DocumentRun(index=i, result=result, seconds=round(time.perf_counter() - wall, 6),
                                         cpu_seconds=round(_cpu_seconds() - cpu, 6)))
        if progress:
            print(f"  [{config.label}] {i + 1}/{total} {entry.name}: {result.status.value}, "
                  f"{run.documents[-1].seconds:.2f} s", file=sys.stderr, flush=True)
    return run


class _Job(BaseModel):
    """What the worker subprocess is asked to do."""

    dataset: Dataset
    ocr: str
    mapper: str
    progress: bool = False


def run_job(job_file: Path, out_file: Path) -> None:
    """The worker's body: run one configuration, then report this process's peak resident memory."""
    job = _Job.model_validate_json(job_file.read_text(encoding="utf-8"))
    run = run_configuration(job.dataset, Configuration(ocr=job.ocr, mapper=job.mapper), job.progress)
    run.peak_memory_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    run.memory_method = MEMORY_RSS
    out_file.write_text(run.model_dump_json(), encoding="utf-8")


def run_isolated(dataset: Dataset, config: Configuration, progress: bool = False) -> ConfigRun:
    """One configuration in a fresh interpreter (`python -m extractor.evaluate.worker`), so its memory is its own."""
    with tempfile.TemporaryDirectory(prefix="extractor-eval-") as tmp:
        job_file, out_file = Path(tmp) / "job.json", Path(tmp) / "run.json"
        job = _Job(dataset=dataset, ocr=config.ocr, mapper=config.mapper, progress=progress)
        job_file.write_text(job.model_dump_json(), encoding="utf-8")
        # The child sees the same import path, so a `module:callable` mapper resolves as it does here.
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p or os.getcwd() for p in sys.path)}
        proc = subprocess.run([sys.executable, "-m", "extractor.evaluate.worker", str(job_file), str(out_file)],
                              env=env, stdout=subprocess.DEVNULL, stderr=None if progress else subprocess.PIPE,
                              text=True, check=False)
        if proc.returncode != 0 or not out_file.is_file():
            tail = (proc.stderr or "").strip().splitlines()[-5:]
            return ConfigRun(label=config.label, ocr=config.ocr, mapper=config.mapper, error={
                "code": "WORKER_FAILED", "message": f"the worker exited with {proc.returncode}: " + " | ".join(tail)})
        return ConfigRun.model_validate_json(out_file.read_text(encoding="utf-8"))


def run_grid(dataset: Dataset, configurations: list[Configuration], isolate: bool = True,
             progress: bool = False, on_start: Callable[[Configuration], None] | None = None) -> list[ConfigRun]:
    """Every configuration over the dataset, one after another (in parallel they would skew each other's time)."""
    runs = []
    for config in configurations:
        if on_start is not None:
            on_start(config)
        if isolate and config.factory is None:
            runs.append(run_isolated(dataset, config, progress))
            continue
        tracemalloc.start()
        try:
            run = run_configuration(dataset, config, progress)
            run.peak_memory_mb = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
            run.memory_method = MEMORY_TRACEMALLOC
        finally:
            tracemalloc.stop()
        runs.append(run)
    return runs
