"""Settings of the web service (prefix EXTRACTOR_, like every other setting); extends the core Settings."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from pydantic import Field, SecretStr

from extractor.settings import Settings


class ServiceSettings(Settings):
    """The core settings plus the service's: sessions, upload limits, job leases and retries."""

    session_secret: SecretStr | None = Field(default=None, description="signs session cookies; default: a random "
                                             "secret kept in data_dir/session-secret")
    session_max_age_s: int = 8 * 3600
    session_https_only: bool = Field(default=False, description="mark the session cookie Secure (behind HTTPS)")
    max_upload_files: int = Field(default=20, description="files per upload request")
    max_request_bytes: int = Field(default=256 * 1024 * 1024, description="whole upload request, all files")
    job_max_attempts: int = Field(default=3, description="a document that kills its worker this often ends failed")
    job_lease_s: float = Field(default=30.0, description="a running job not renewed for this long is retried")
    job_poll_s: float = Field(default=0.5, description="how often an idle worker looks for queued jobs")
    page_dpi: int = Field(default=110, description="resolution of the page images of the review page")
    max_text_bytes: int = Field(default=2 * 1024 * 1024, description="a text export (reading one costs ~300× "
                                "its size in memory; larger archives go through `extractor backfill`)")
    max_page_points: float = Field(default=5000.0, description="the longer side of a PDF page (A0: 3370 pt)")
    raster_dpi: int = Field(default=200, description="the resolution the pixel budgets count a PDF page at")
    max_document_pixels: int = Field(default=1_200_000_000, description="all pages of a document together "
                                     "(300 A4 pages at 200 dpi); one page: max_image_pixels")
    cpu_base_s: float = Field(default=20.0, description="CPU seconds any document may take")
    cpu_per_page_s: float = Field(default=6.0, description="more CPU seconds per page (OCR: ~3 s a page)")
    cpu_per_text_mb_s: float = Field(default=60.0, description="more CPU seconds per MB of a text export")
    cpu_max_s: float | None = Field(default=None, description="no document more than this (default: "
                                    "document_timeout_s): 300 blank scanned pages cost it once, not 3 × 600 s")
    max_running_jobs_per_user: int = Field(default=0, ge=0, description="jobs of one user running at once "
                                           "(0: no cap; claims already go to the user with fewest running)")
    max_body_bytes: int = Field(default=1024 * 1024, description="any request but an upload (JSON, forms)")
    login_per_account: str = Field(default="10/minute", description="login attempts per account (limits syntax)")
    login_per_address: str = Field(default="30/minute", description="login attempts per client address")
    login_concurrency: int = Field(default=2, ge=1, description="Argon2 password checks running at once")
    login_queue: int = Field(default=16, ge=0, description="login attempts waiting for a check; more get 503")

    def uploads_dir(self) -> Path:
        """Where uploaded files are kept (content-addressed)."""
        return self.data_dir / "uploads"

    def cache_dir(self) -> Path:
        """Rendered page images."""
        return self.data_dir / "cache"

    def resolved_session_secret(self) -> str:
        """The configured secret, else one generated once and kept (0600) in the data directory."""
        if self.session_secret is not None:
            return self.session_secret.get_secret_value()
        path = self.data_dir / "session-secret"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".session-secret.{os.getpid()}.{secrets.token_hex(4)}")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(48))
            try:
                os.link(tmp, path)  # atomic: a second process starting at once keeps the first one's secret
            except FileExistsError:
                pass
            finally:
                tmp.unlink()
        return path.read_text().strip()


def get_service_settings(**overrides: object) -> ServiceSettings:
    """Service settings from the environment, with explicit overrides (CLI flags) on top."""
    return ServiceSettings(**{k: v for k, v in overrides.items() if v is not None})  # type: ignore[arg-type]
