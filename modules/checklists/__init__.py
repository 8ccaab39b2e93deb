"""Practical checklists per job position, signed off on the job by mentors."""
