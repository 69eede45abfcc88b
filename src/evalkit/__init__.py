"""evalkit: reproducible evaluation workbook for Leipzig's IKJHP.

The package holds the logic (pure, tested functions); notebooks narrate and call it; params files are the cycles.
"""

__version__ = "0.1.0"
