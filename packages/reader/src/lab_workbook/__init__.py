"""lab-workbook reader (in progress)."""
