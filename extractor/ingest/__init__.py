"""Readers: turn a file into grids of cells (text export) or pages (PDF, image)."""
