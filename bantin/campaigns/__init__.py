"""Campaign files (YAML) -> validated specs -> publications."""
