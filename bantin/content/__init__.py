"""Content: templates, rendering and the Vietnamese text helpers used in bulletins."""
