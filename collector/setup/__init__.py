"""The Platform's setup APIs as Adobe's clients call them: Catalog datasets and batches,
Flow Service streaming connections and the inlet API (docs/setup-apis.md)."""
