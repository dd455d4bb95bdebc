"""Table reconstruction: from cells (export lines or page tokens) to labelled rows."""
