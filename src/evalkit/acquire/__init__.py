"""Data acquisition and validation: the source registry, fetching with checksums, the area lookup, API records
and legacy files to validated observations, restricted inputs."""
