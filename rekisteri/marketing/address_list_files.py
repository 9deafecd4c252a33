"""A prepared address list's file at rest: compressed, then encrypted with the key
ring's active key (AES-256-GCM) in the list's own row, and back."""

from __future__ import annotations

import base64
import binascii
import zlib

from rekisteri import crypto
from rekisteri.marketing.models import AddressList

FILE_PURPOSE = "marketing.address_list"


class FileUnreadable(Exception):
    """The file is gone, or its key is no longer in the key ring."""


def file_sealed(raw: bytes, *, address_list: AddressList) -> str:
    """The file sealed for this list's row: copied into another row it does not decrypt."""
    payload = base64.b64encode(zlib.compress(raw)).decode("ascii")
    return crypto.keyring().encrypt(payload, purpose=FILE_PURPOSE, row=str(address_list.public_id))


def file_read(address_list: AddressList) -> bytes:
    """The file as prepared. Raises FileUnreadable."""
    if not address_list.file_encrypted:
        raise FileUnreadable
    try:
        payload = crypto.keyring().decrypt(
            address_list.file_encrypted, purpose=FILE_PURPOSE, row=str(address_list.public_id)
        )
        return zlib.decompress(base64.b64decode(payload))
    except (crypto.DecryptionError, binascii.Error, zlib.error):
        raise FileUnreadable from None
