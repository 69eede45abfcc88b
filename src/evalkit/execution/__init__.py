"""Cycle execution: the papermill runner, its kernels, and verify (re-execute and compare)."""
