"""The VM panel's "Key-Value Pairs" tab, its controller, models and dialogs, and bulk pair changes."""
