"""Counting pages, by topic: sessions (manager and list), entry (counter), reports."""
