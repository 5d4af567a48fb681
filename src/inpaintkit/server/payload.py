"""Images in and out of HTTP: multipart uploads, base64 and data URLs, PNG answers.

Sizes are checked before decoding: the body against ``max_upload_bytes`` and each image's
header against ``max_pixels`` (inside :func:`inpaintkit.imageio.load_image`).
"""

from __future__ import annotations

import base64
import binascii
import re

from inpaintkit.errors import InvalidInputError
from inpaintkit.server.errors import PayloadTooLargeError

_DATA_URL = re.compile(r"^data:[\w.+/-]*(;[\w=.+-]+)*;base64,", re.IGNORECASE)


def decode_base64_image(text: str, *, field: str, max_bytes: int) -> bytes:
    """The bytes of an image sent as base64 or a ``data:image/...;base64,`` URL.

    >>> decode_base64_image("data:image/png;base64,iVBORw0K", field="init_images", max_bytes=99)
    b'\\x89PNG\\r\\n'
    """
    if not isinstance(text, str) or not text.strip():
        raise InvalidInputError(
            f"{{{field}}} is empty: send the image as base64 or a data URL",
            options={field: None},
        )
    body = _DATA_URL.sub("", text.strip(), count=1)
    if len(body) * 3 // 4 > max_bytes:
        raise PayloadTooLargeError(
            f"{{{field}}} is over the upload limit of {max_bytes:,} bytes; send a smaller image",
            options={field: None},
        )
    try:
        return base64.b64decode(body + "=" * (-len(body) % 4), validate=False)
    except (binascii.Error, ValueError) as error:
        raise InvalidInputError(
            f"{{{field}}} is not valid base64 ({error}); send the file's bytes as base64",
            options={field: None},
        ) from None


def encode_base64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
