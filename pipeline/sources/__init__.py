"""Pluggable sources of raw audio for the collect stage."""
