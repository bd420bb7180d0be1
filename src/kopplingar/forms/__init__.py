"""Paper forms: layout, PDF generation and reading scanned forms back.

- ``layout``: the geometry contract (fields, comb cells, signature boxes, ArUco markers, QR code),
  in PDF points with pixel helpers; the one source of truth for drawing and for reading.
- ``pdf``: ``render_form(kind, values=..., form_id=..., secret=...)`` draws the fillable PDF.
- ``qrpayload``: the QR text (kind, layout version, HMAC-signed form id) and its verification.
- ``acroform``: fill fields and ``read_fields`` from digitally filled PDFs (pypdf, no OCR).
- ``simulator``: fills, prints, scans and delivers forms with their ground truth.
- ``datasets``: the shared handwriting and signature data with its fixed train/eval split.
"""
