"""Certificates: what leaves the plant, with the ledger entries and proofs that back each figure.

Modules here stay importable one by one; `ledger.certificates.verify` needs only `cryptography`.
"""
