"""Error hierarchy: bad input is a DocumentLoadError (recorded on the document), anything else is a bug."""

from __future__ import annotations

from typing import Any


class ExtractorError(Exception):
    """Root of every error this package raises on purpose."""

    code: str = "EXTRACTOR_ERROR"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        """Serialisable form for result envelopes and the database."""
        return {"code": self.code, "message": self.message, **({"details": self.details} if self.details else {})}


class DocumentLoadError(ExtractorError):
    """The input cannot be read as a form document; the batch goes on."""

    code = "DOCUMENT_LOAD_ERROR"


class EmptyDocumentError(DocumentLoadError):
    """The file holds no bytes or no text."""

    code = "EMPTY_DOCUMENT"


class BinaryContentError(DocumentLoadError):
    """The file is neither text nor a supported binary format."""

    code = "BINARY_CONTENT"


class EncodingError(DocumentLoadError):
    """The text's encoding could not be determined."""

    code = "UNKNOWN_ENCODING"


class UnsupportedFormatError(DocumentLoadError):
    """A format this installation cannot read (e.g. PDF support not installed)."""

    code = "UNSUPPORTED_FORMAT"


class NoFormFoundError(DocumentLoadError):
    """The document was read but contains no 绩效自评表."""

    code = "NO_FORM_FOUND"


class UnsupportedTemplateError(DocumentLoadError):
    """A form of a family the project recognises but does not map (部门整体支出绩效自评表)."""

    code = "UNSUPPORTED_TEMPLATE"


class EncryptedDocumentError(DocumentLoadError):
    """The document is password-protected (PDF, Office, OFD)."""

    code = "ENCRYPTED_DOCUMENT"


class CorruptDocumentError(DocumentLoadError):
    """The file claims a format but its content is broken or truncated."""

    code = "CORRUPT_DOCUMENT"


class ResourceLimitError(DocumentLoadError):
    """The document exceeds a configured limit (pages, pixels, bytes)."""

    code = "RESOURCE_LIMIT"


class UnsafeDocumentError(DocumentLoadError):
    """The document holds constructs that attack parsers (XML entity declarations): refused, never parsed."""

    code = "UNSAFE_DOCUMENT"


class ConfigurationError(ExtractorError):
    """A setting is missing or inconsistent (e.g. an OCR engine that is not installed)."""

    code = "CONFIGURATION_ERROR"


class RecordFileError(ExtractorError):
    """A record/result JSON given to `extractor check` is not valid."""

    code = "INVALID_RECORD_FILE"


class FileAccessError(DocumentLoadError):
    """The file cannot be opened: missing, a directory, no permission, vanished mid-run."""

    code = "FILE_ACCESS"


class InternalError(ExtractorError):
    """A bug: an unexpected exception while processing a document (recorded, the batch goes on)."""

    code = "INTERNAL_ERROR"


class LLMError(ExtractorError):
    """The LLM mapper could not map a form (recorded on the document; the batch goes on)."""

    code = "LLM_ERROR"


class LLMUnavailableError(LLMError):
    """The endpoint could not be reached, timed out or kept refusing (429/5xx) after the retries."""

    code = "LLM_UNAVAILABLE"


class LLMRequestError(LLMError):
    """The endpoint rejected the request itself (bad key, unknown model, bad parameters)."""

    code = "LLM_REQUEST_REJECTED"


class LLMResponseError(LLMError):
    """The model's answer could not be read at all (no JSON, cut off) after the re-asks."""

    code = "LLM_INVALID_RESPONSE"
