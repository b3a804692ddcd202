"""The plan as data: objectives, tasks, agencies and administrative units."""
