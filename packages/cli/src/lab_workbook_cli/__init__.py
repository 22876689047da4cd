"""lab-workbook CLI (in progress)."""
