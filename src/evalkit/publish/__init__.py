"""Publishing: German formats, report helpers for notebooks, reading aids, figures, maps, generated pages, the site."""
