"""Backup and restore of one installation; see :mod:`assistant.backup.archive`."""
