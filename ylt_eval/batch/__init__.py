"""Running report notebooks: execution, export, atomic output, index page."""
