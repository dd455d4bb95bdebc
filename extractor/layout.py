"""Intermediate objects shared by the readers: tokens, cells and grids, each carrying its provenance."""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum

from pydantic import BaseModel, Field

BBox = tuple[float, float, float, float]


class SourceKind(StrEnum):
    """Where a grid's text came from."""

    TEXT_EXPORT = "text_export"
    PDF_TEXT = "pdf_text"
    OCR = "ocr"
    HTML = "html"  # a web page's tables (ingest/html_tables.py)
    WORD = "word"  # a Word document's tables (.docx; .doc/.wps through LibreOffice)
    SPREADSHEET = "spreadsheet"  # a workbook's sheets (.xlsx, .xls, .et)
    OFD = "ofd"  # an OFD document's text objects with positions, read like a PDF text layer


class Token(BaseModel):
    """A run of text with its place on a page (a PDF word or an OCR box)."""

    text: str
    bbox: BBox
    page: int
    confidence: float | None = None


class Doubt(BaseModel):
    """A place in a cell's OCR text the recogniser was not sure of: a character, or one it nearly read."""

    at: int = Field(description="index in the cell's text")
    char: str = Field(description="the character read there; \"\" where the recogniser nearly read one")
    prob: float = Field(description="the recogniser's probability of what it read")
    options: list[str] = Field(default_factory=list, description="other readings of this place (\"\" = none)")


class Cell(BaseModel):
    """One table cell: its printed text and where it is (line/column of an export, or page/bbox)."""

    id: str
    text: str
    row: int = Field(description="0-based row index in its grid")
    col: int = Field(description="0-based column index in its grid")
    row_span: int = 1
    col_span: int = 1
    line: int | None = Field(default=None, description="1-based line of a text export")
    page: int | None = Field(default=None, description="1-based page of a PDF or image")
    bbox: BBox | None = None
    confidence: float | None = None
    whole_text: str | None = Field(default=None, description="the whole cell's text when this is a part of it")
    doubts: list[Doubt] = Field(default_factory=list, description="OCR: characters the recogniser was unsure of")
    agreed: bool | None = Field(default=None, description="OCR: a second reading of the cell gave the same text "
                                "(True) or not (False); None: read once")
    second: str | None = Field(default=None, description="OCR: the second reading's text where it differed")
    unread: bool = Field(default=False, description="OCR: the cell holds ink the recogniser could not read")

    @property
    def blank(self) -> bool:
        """True when nothing but white space is printed."""
        return not self.text.strip()


class Grid(BaseModel):
    """The cells of one form, row by row; a spanned cell sits in its top-left row."""

    kind: SourceKind
    rows: list[list[Cell]]
    pages: list[int] = Field(default_factory=list)
    first_line: int | None = None
    last_line: int | None = None
    text_layout: str | None = Field(default=None, description="a text export's layout (ingest/text_layout.py)")
    assigned: dict[str, str] = Field(default_factory=dict,
                                     description="cell id → indicator column, where rows were rebuilt from a stream")
    parts: dict[str, list[Cell]] = Field(default_factory=dict,
                                         description="a label joined from wrapped pieces → the printed pieces")
    notes: list[str] = Field(default_factory=list)

    def cells(self) -> Iterator[Cell]:
        """All cells, in reading order."""
        for row in self.rows:
            yield from row

    def by_id(self) -> dict[str, Cell]:
        """Cells keyed by id."""
        return {cell.id: cell for cell in self.cells()}

    def covering(self, row: int, col: int) -> Cell | None:
        """The cell whose span covers (row, col), if the grid knows spans."""
        for r in range(row, -1, -1):
            for cell in self.rows[r] if r < len(self.rows) else []:
                if (
                    cell.row <= row < cell.row + cell.row_span
                    and cell.col <= col < cell.col + cell.col_span
                    and (cell.row_span > 1 or cell.row == row)
                ):
                    return cell
        return None
