"""Short online courses: content import, lessons, progress and completion (with the quiz)."""
