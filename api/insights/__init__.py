"""Insights: lint findings and their ignore list, inferred keys."""
