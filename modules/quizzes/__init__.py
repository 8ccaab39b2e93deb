"""Quizzes: the timed, server-graded quiz that closes each short online course."""
