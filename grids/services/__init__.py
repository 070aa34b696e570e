"""Every write of the grids app (keyword-only, with ``actor``, atomic, full_clean, audited)."""
