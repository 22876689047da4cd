"""One module per command; :mod:`lab_workbook_cli.app` registers them."""
