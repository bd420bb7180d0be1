"""Paper forms: layout, PDF generation and reading scanned forms back."""
