"""The evaluation analyses: need index, trends and gaps, measures, disclosure control, and their wiring to one cycle."""
