"""One module per command; :mod:`lab_workbook_cli._app` registers them."""
