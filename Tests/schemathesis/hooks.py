"""Request bodies schemathesis cannot generate from a JSON Schema: the signed PDFs of POST /v1/verify/pdf.

Loaded through SCHEMATHESIS_HOOKS by run.py.
"""

import os

import schemathesis
from hypothesis import strategies as st

# A real signed result of the demo district when run.py found one, beside broken and truncated PDFs and noise.
_real = []
if os.environ.get("ZT_PDF") and os.path.exists(os.environ["ZT_PDF"]):
    with open(os.environ["ZT_PDF"], "rb") as handle:
        _real.append(handle.read())

_pdfs = st.one_of(
    st.binary(max_size=2048).map(lambda tail: b"%PDF-1.7\n" + tail),
    st.binary(max_size=512),
    *([st.sampled_from(_real), st.sampled_from(_real).flatmap(lambda pdf: st.integers(1, len(pdf) - 1).map(lambda cut: pdf[:cut]))] if _real else []),
)

schemathesis.openapi.media_type("application/pdf", _pdfs)
