"""Render: filters, charts and templates make HTML; WeasyPrint workers make PDFs; the season book and the data files."""
