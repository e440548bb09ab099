"""Patch series and upstreaming tools for PYO3_BASE_PYTHON in maturin and pyo3."""

from __future__ import annotations

__version__ = "0.1.0"
