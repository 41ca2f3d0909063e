"""Spreadsheet imports and exports of seniors and workers: reading files, mapping columns, one unit."""
