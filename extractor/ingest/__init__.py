"""Readers: turn a file into grids of cells (text export; web pages, Word, Excel, OFD) or pages (PDF, image)."""
