"""Evaluation cycles: parameter files, the context notebooks load, and provenance (what produced each number)."""
