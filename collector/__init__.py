"""xdm-collector: a self-hosted, AEP-compatible streaming ingestion platform."""
