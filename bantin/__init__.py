"""bantin: schedules the communication campaigns of a provincial digital-transformation plan."""

__version__ = "0.1.0"
