"""Prefect flows that orchestrate the DVC stages."""
