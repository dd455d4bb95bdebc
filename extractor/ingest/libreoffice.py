"""Old binary Word (.doc), WPS (.wps) and — when xlrd cannot read it — WPS .et, converted by LibreOffice headless.

LibreOffice is an optional system dependency (Debian `libreoffice-core libreoffice-writer libreoffice-calc`,
installed by `scripts/setup.sh dev`); without it these formats fail with CONFIGURATION_ERROR naming the packages.
Each conversion runs in a private temporary profile whose settings forbid macros (security level "very high",
execution disabled) and link updates, without network where the kernel lets us unshare it, under a timeout
after which the whole process group is killed. Documents are converted, never executed.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from extractor.errors import ConfigurationError, CorruptDocumentError, ResourceLimitError
from extractor.settings import Settings

PACKAGES = "libreoffice-core libreoffice-writer libreoffice-calc"
# Settings of the private profile: no macro ever runs, no linked file or image is fetched on load.
_PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
           xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="MacroSecurityLevel" oor:op="fuse"><value>3</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="DisableMacrosExecution" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="BlockUntrustedRefererLinks" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Writer/Content/Update"><prop oor:name="Link" oor:op="fuse"><value>2</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Content/Update"><prop oor:name="Link" oor:op="fuse"><value>2</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Misc"><prop oor:name="FirstRun" oor:op="fuse"><value>false</value></prop></item>
</oor:items>
"""
_FILTERS = {"docx": "docx:MS Word 2007 XML", "xlsx": "xlsx:Calc MS Excel 2007 XML", "doc": "doc:MS Word 97",
            "xls": "xls:MS Excel 97"}


def soffice_path(settings: Settings) -> str:
    """The LibreOffice program, or CONFIGURATION_ERROR naming the Debian packages to install."""
    found = shutil.which(settings.soffice)
    if found is None:
        raise ConfigurationError(f"reading this format needs LibreOffice ({settings.soffice} not found): install the "
                                 f"Debian packages {PACKAGES} (scripts/setup.sh dev does), or set EXTRACTOR_SOFFICE",
                                 packages=PACKAGES.split())
    return found


@functools.lru_cache(maxsize=1)
def _unshare() -> list[str]:
    """`unshare --net` when this machine lets us give the converter a network namespace of its own."""
    exe = shutil.which("unshare")
    if exe is None:
        return []
    for prefix in ([exe, "--net"], [exe, "--net", "--map-root-user"]):
        try:
            done = subprocess.run([*prefix, "true"], capture_output=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if done.returncode == 0:
            return prefix
    return []


def network_isolated() -> bool:
    """True when conversions run without network (a private network namespace)."""
    return bool(_unshare())


def convert(data: bytes, source_suffix: str, target: str, settings: Settings) -> bytes:
    """Convert a document with LibreOffice headless (`--convert-to`) and return the converted bytes."""
    program = soffice_path(settings)
    with tempfile.TemporaryDirectory(prefix="extractor-lo-") as tmp:
        root = Path(tmp)
        profile = root / "profile"
        (profile / "user").mkdir(parents=True)
        (profile / "user" / "registrymodifications.xcu").write_text(_PROFILE, encoding="utf-8")
        source = root / f"in.{source_suffix}"
        source.write_bytes(data)
        out = root / "out"
        out.mkdir()
        command = [*_unshare(), program, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--invisible",
                   "--nologo", "--norestore", "--nodefault", "--nolockcheck", "--convert-to", _FILTERS[target],
                   "--outdir", str(out), str(source)]
        env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
        env.update({"HOME": str(root), "SAL_USE_VCLPLUGIN": "svp", "TMPDIR": str(root)})
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                env=env, cwd=root, start_new_session=True)
        try:
            stdout, stderr = proc.communicate(timeout=settings.soffice_timeout_s)
        except subprocess.TimeoutExpired as exc:
            _kill_group(proc)
            raise ResourceLimitError(f"LibreOffice did not convert the document within {settings.soffice_timeout_s:.0f}"
                                     " s", limit_s=settings.soffice_timeout_s) from exc
        finally:
            _kill_group(proc)  # a converter that left helpers behind in its session
        result = out / f"in.{target}"
        if not result.exists():
            message = (stderr or stdout).decode("utf-8", errors="replace").strip()[-300:]
            raise CorruptDocumentError(f"LibreOffice could not convert the .{source_suffix} document"
                                       + (f": {message}" if message else ""), returncode=proc.returncode)
        return result.read_bytes()


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):  # killed above: it ends at once
        proc.wait(timeout=5)
