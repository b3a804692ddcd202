"""SMS through eSMS.vn's brandname API: short notices to residents without smartphones.

`esms://BRANDNAME?to=0901234567,0912345678&api_key=env:ESMS_API_KEY
&secret_key=env:ESMS_SECRET_KEY[&sandbox=1][&max_parts=3][&base=URL][&timeout=10]`

A commune sends its emergency notices (storm, flood, water cut) as a customer-care SMS
(`SmsType` 2) under its registered brandname, one request per number in `to` (eSMS's JSON
endpoint takes one phone per request). The text goes without diacritics (`IsUnicode` 0):
Vietnamese is folded to ASCII (`đ` → `d`), counted in GSM-7 characters (`^{}[]~|\\€` count
two), and sent whole; the network splits it into parts of 153 characters (one SMS up to
160). A text over `max_parts` parts (default 3, 459 characters) is refused, never cut: a
cut emergency notice can say the opposite of what was meant. Characters GSM-7 cannot carry
(emoji, other scripts) are refused by name rather than replaced with `?`.

Every request carries `RequestId` = the first 24 characters of the idempotency key plus
the number's position, and eSMS refuses a RequestId it has seen (code 124): a resend after
a crash or a partial failure reaches only the numbers not yet reached (hence `dedupes`).
The keys travel in the JSON body, as the protocol wants, never in a URL.
docs/channels/esms.md has the error table and what was assumed.
"""

from __future__ import annotations

import math
import re
import unicodedata
from pathlib import Path
from types import MappingProxyType
from typing import Any

from bantin.channels.base import (
    AuthError,
    PermanentError,
    Receipt,
    RetryableError,
)
from bantin.channels.helpers import plain_text, redact
from bantin.channels.http import HTTPChannel
from bantin.content.render import Rendered
from bantin.core.errors import ConfigError
from bantin.secrets.resolve import resolve

ESMS_BASE = "https://rest.esms.vn/MainService.svc/json"
SEND_PATH = "/SendMultipleMessage_V4_post_json/"
SINGLE, PART = 160, 153
DEFAULT_PARTS = 3
#: GSM 03.38 basic character set (ASCII subset and the few others a folded text can hold).
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
#: Characters sent as an escape plus one: they count two.
GSM_EXTENDED = frozenset("^{}\\[~]|€\f")
#: Typography that has a plain equivalent.
PLAIN = str.maketrans(
    {
        "“": '"',
        "”": '"',
        "‘": "'",
        "’": "'",
        "–": "-",
        "—": "-",
        "…": "...",
        "\u00a0": " ",
        "•": "-",
        "\t": " ",
    }
)
PHONE = re.compile(r"(?:\+?84|0)([35789]\d{8})")

OK, DUPLICATE_REQUEST = "100", "124"
#: The account cannot send until a person fixes it: the channel is broken.
ACCOUNT_CODES = {
    "101": "eSMS refused the ApiKey/SecretKey: check {keys}",
    "102": "the eSMS account has no price list: ask eSMS to set one up",
    "103": "the eSMS account balance is too low: top it up",
    "104": "the brandname {brand!r} is not registered with eSMS for this account",
    "140": "eSMS refused this server's IP address: ask eSMS to whitelist it",
}
#: This one number cannot be reached; the others still are.
NUMBER_CODES = {
    "99": "the number is blocked at eSMS",
    "108": "eSMS says the number is not in a valid format",
    "177": "the number's network is not registered for this brandname",
}
#: The message cannot go out as it is.
MESSAGE_CODES = {
    "118": "eSMS does not support this message type",
    "146": "the text matches no customer-care template registered for the brandname: "
    "register it with eSMS (brandname SMS must follow an approved template)",
}


def fold(text: str) -> str:
    """Vietnamese without diacritics: `Bão số 5 đổ bộ` → `Bao so 5 do bo`."""
    text = text.translate(PLAIN).replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def gsm_length(text: str) -> int:
    """Length in GSM-7 septets (extended characters count two; others count one)."""
    return sum(2 if c in GSM_EXTENDED else 1 for c in text)


def not_gsm(text: str) -> list[str]:
    """Characters GSM-7 cannot carry, each once, in order."""
    return list(dict.fromkeys(c for c in text if c not in GSM_BASIC and c not in GSM_EXTENDED))


def parts_needed(length: int) -> int:
    """SMS parts a text of `length` septets is sent as (one up to 160, else 153 each)."""
    return 1 if length <= SINGLE else math.ceil(length / PART)


def sms_text(rendered: Rendered) -> str:
    """The text as sent: the title as first line, then the body, folded, spaces collapsed."""
    body = plain_text(rendered.body) if rendered.kind == "article" else rendered.body
    lines = [" ".join(line.split()) for line in f"{rendered.title}\n{body}".splitlines()]
    return fold("\n".join(line for line in lines if line))


def mask_phone(number: str) -> str:
    """`0901***567`: a resident's number is personal data; logs and errors show only this."""
    return number[:4] + "***" + number[-3:]


class ESMSChannel(HTTPChannel):
    schemes = ("esms",)
    kind = "sms"
    dedupes = True
    content_kinds = frozenset({"post"})
    api_base = ESMS_BASE
    parameters = frozenset({"to", "api_key", "secret_key", "sandbox", "max_parts"})
    secret_params = frozenset({"api_key", "secret_key"})
    provider = "eSMS"
    request_rate_per_sec = 5.0
    length_limits = MappingProxyType({"message": DEFAULT_PARTS * PART})
    limit_names = MappingProxyType({"message": "the SMS text (GSM-7, without diacritics)"})

    @classmethod
    def measure(cls, rendered: Rendered) -> dict[str, int]:
        return {"message": gsm_length(sms_text(rendered))}

    def __init__(self, name: str, url: str, *, home: Path | None = None) -> None:
        super().__init__(name, url, home=home)
        self.brandname = self.parts.netloc
        if not re.fullmatch(r"[A-Za-z0-9._-]{1,11}", self.brandname) or self.parts.path not in (
            "",
            "/",
        ):
            raise ConfigError(
                f"{name}: use esms://BRANDNAME with the registered brandname (at most 11 "
                "letters, digits, '.', '-' or '_')"
            )
        self.key_refs = (self.params.pop("api_key", ""), self.params.pop("secret_key", ""))
        if not all(self.key_refs):
            raise ConfigError(f"{name}: an eSMS channel needs ?api_key=env:VAR&secret_key=env:VAR")
        self.numbers = self._numbers(self.params.pop("to", ""))
        self.sandbox = self.params.pop("sandbox", "0")
        if self.sandbox not in ("0", "1"):
            raise ConfigError(f"{name}: sandbox must be 0 or 1")
        parts = self.params.pop("max_parts", str(DEFAULT_PARTS))
        if not parts.isdigit() or not 1 <= int(parts) <= 10:
            raise ConfigError(f"{name}: max_parts must be a whole number from 1 to 10")
        self.max_parts = int(parts)

    def _numbers(self, text: str) -> list[str]:
        numbers = []
        for raw in (n.strip().replace(" ", "") for n in text.split(",") if n.strip()):
            match = PHONE.fullmatch(raw)
            if not match:
                raise ConfigError(
                    f"{self.name}: {raw!r} in to= is not a Vietnamese mobile number "
                    "(0 and 9 digits, or 84 and 9 digits)"
                )
            numbers.append("0" + match.group(1))
        if not numbers:
            raise ConfigError(f"{self.name}: give the numbers to reach in to=, comma-separated")
        return list(dict.fromkeys(numbers))

    # -- the contract ---------------------------------------------------------------
    def compose(self, rendered: Rendered) -> str:
        """The SMS text, or PermanentError saying why it cannot be sent as it is."""
        if rendered.kind not in self.content_kinds:
            raise PermanentError(f"an SMS carries short posts, not a {rendered.kind}")
        text = sms_text(rendered)
        bad = not_gsm(text)
        if bad:
            shown = ", ".join(repr(c) for c in bad[:5])
            raise PermanentError(f"the SMS text has characters SMS cannot carry: {shown}")
        length = gsm_length(text)
        parts = parts_needed(length)
        if parts > self.max_parts:
            raise PermanentError(
                f"the SMS text is {length} characters ({parts} parts) and this channel sends at "
                f"most {self.max_parts} parts ({self.max_parts * PART} characters): shorten it"
            )
        return text

    def publish(self, rendered: Rendered, idempotency_key: str) -> Receipt:
        text = self.compose(rendered)
        keys = (resolve(self.key_refs[0]), resolve(self.key_refs[1]))
        ids, refused = [], []
        for i, number in enumerate(self.numbers):
            request_id = f"{idempotency_key[:24]}-{i}"
            sms_id, problem = self._send(number, text, request_id, keys)
            if problem:
                refused.append(f"{mask_phone(number)} ({problem})")
            else:
                ids.append(sms_id or request_id)
        if refused:
            sent = len(self.numbers) - len(refused)
            raise PermanentError(
                f"sent to {sent} of {len(self.numbers)} numbers; refused: {'; '.join(refused)}"
            )
        return Receipt(external_id=",".join(ids), http_status=200)

    # -- HTTP -----------------------------------------------------------------------
    def _send(
        self, number: str, text: str, request_id: str, keys: tuple[str, str]
    ) -> tuple[str | None, str | None]:
        """(SMSID, None) when accepted; (None, reason) when this number is refused;
        raises for anything that concerns the whole channel or message."""
        body = {
            "ApiKey": keys[0],
            "SecretKey": keys[1],
            "Phone": number,
            "Content": text,
            "Brandname": self.brandname,
            "SmsType": "2",
            "IsUnicode": "0",
            "Sandbox": self.sandbox,
            "RequestId": request_id,
        }
        resp = self.request("POST", self.base + SEND_PATH, json=body)
        error = self.status_error(resp, "the SMS", *keys)
        if error is not None:
            raise error
        try:
            doc: Any = resp.json()
        except ValueError:
            doc = None
        if not isinstance(doc, dict) or "CodeResult" not in doc:
            # Accepted or not is unknown: a retry is safe, the RequestId deduplicates it.
            raise RetryableError("eSMS answered without a CodeResult")
        code = str(doc.get("CodeResult")).strip()
        if code in (OK, DUPLICATE_REQUEST):
            return str(doc.get("SMSID") or "") or None, None
        said = redact(str(doc.get("ErrorMessage") or ""), *keys, limit=200)
        if code in ACCOUNT_CODES:
            hint = ACCOUNT_CODES[code].format(
                keys=" and ".join(self.key_refs), brand=self.brandname
            )
            raise AuthError(f"eSMS code {code}: {hint}")
        if code in NUMBER_CODES:
            return None, f"code {code}: {NUMBER_CODES[code]}"
        if code in MESSAGE_CODES:
            raise PermanentError(f"eSMS code {code}: {MESSAGE_CODES[code]}")
        raise PermanentError(f"eSMS refused the SMS (code {code}): {said}".rstrip(": "))

    def check(self) -> dict[str, Any]:
        """No harmless authenticated call is used: eSMS's balance query puts the keys in the
        URL path, which this project never does. The URL and the keys are checked."""
        try:
            resolve(self.key_refs[0]), resolve(self.key_refs[1])
        except ConfigError as exc:
            return {"ok": False, "error": str(exc)}
        return {
            "ok": True,
            "brandname": self.brandname,
            "numbers": len(self.numbers),
            "note": "eSMS has no check that keeps the keys out of URLs; send with sandbox=1",
        }


__all__ = ["ESMSChannel", "fold", "gsm_length", "parts_needed", "sms_text"]
