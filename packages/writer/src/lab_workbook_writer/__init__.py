"""lab-workbook-writer (in progress)."""
