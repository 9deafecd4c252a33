"""The uploaded file at rest: compressed, then encrypted with the key ring's active key
(AES-256-GCM), in the import's own row, and back."""

from __future__ import annotations

import base64
import binascii
import zlib

from rekisteri import crypto
from rekisteri.imports.models import CustomerImport

FILE_PURPOSE = "imports.customer_file"


class FileUnreadable(Exception):
    """The file is gone (the import ended) or its key is no longer in the key ring."""


def file_sealed(raw: bytes, *, customer_import: CustomerImport) -> str:
    """The file sealed for this import's row (its public id is set before the first
    save): copied into another import's row it does not decrypt."""
    payload = base64.b64encode(zlib.compress(raw)).decode("ascii")
    return crypto.keyring().encrypt(
        payload, purpose=FILE_PURPOSE, row=str(customer_import.public_id)
    )


def file_read(customer_import: CustomerImport) -> bytes:
    """The file as uploaded. Raises FileUnreadable."""
    if not customer_import.file_encrypted:
        raise FileUnreadable
    try:
        payload = crypto.keyring().decrypt(
            customer_import.file_encrypted,
            purpose=FILE_PURPOSE,
            row=str(customer_import.public_id),
        )
        return zlib.decompress(base64.b64decode(payload))
    except (crypto.DecryptionError, binascii.Error, zlib.error):
        raise FileUnreadable from None
