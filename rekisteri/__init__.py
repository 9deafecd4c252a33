"""Rekisteri: a GDPR-first customer register."""
