"""JSON text exactly as MediaWiki writes it: PHP's json_encode with the flags of
FormatJson::encode(..., FormatJson::ALL_OK) (JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE), which
the API's JSON printer uses for formatversion=2. Two things differ from Python's json module:

- floats are written by PHP's php_gcvt with serialize_precision -1: the shortest round-trip
  digits (as Python's repr), but `1.0` is `1`, `-0.0` is `-0`, and the exponent form is used when
  the decimal exponent is below -4 or at least 17, written `1.0e-5`, `1.5e+20`;
- U+2028 and U+2029 are escaped as `\\u2028` and `\\u2029` (PHP does so unless
  JSON_UNESCAPED_LINE_TERMINATORS is given).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

PHP_SERIALIZE_DIGITS = 17  # php_gcvt's ndigit when serialize_precision is -1

_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)

# A float whose repr PHP writes differently: an exponent, or an integral value ending `.0`.
_DIFFERENT_FLOAT = re.compile(r"\d(?:\.0|e[+-]\d+)(?:[,\]}]|$)")
# Outside strings, the numbers of the text; strings are matched whole so that digits in them are skipped.
_STRING_OR_FLOAT = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|(-?\d+(?:\.\d+)?(?:e[+-]\d+)?)')


def encode(value: Any) -> str:
    """Compact JSON text of a value, key order kept, as PHP's json_encode writes it for MediaWiki."""
    return _php_floats(escape_line_terminators(_ENCODER.encode(value)))


# What ResourceLoader adds when it embeds data in a module (Html::encodeJsVar, or
# encodeJsonForScript in newer MediaWiki): JSON_HEX_TAG | JSON_HEX_AMP, so that no `</script>`
# can end the inline script a module may be served in.
_SCRIPT_ESCAPES = re.compile(rb"[<>&]")
_SCRIPT_ESCAPED = {b"<": b"\\u003C", b">": b"\\u003E", b"&": b"\\u0026"}


def for_script(data: bytes) -> bytes:
    """JSON bytes as ResourceLoader embeds them: `<`, `>` and `&` as `\\u003C`, `\\u003E`, `\\u0026`.
    They can only occur inside strings of JSON text, so replacing them anywhere is exact."""
    return _SCRIPT_ESCAPES.sub(lambda match: _SCRIPT_ESCAPED[match[0]], data)


def escape_line_terminators(text: str) -> str:
    """U+2028 and U+2029 escaped; they can only occur inside strings of JSON text."""
    if "\u2028" in text or "\u2029" in text:
        return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return text


def float_text(number: float) -> str:
    """A finite float as json_encode writes it with serialize_precision -1: repr's shortest digits."""
    mantissa, _, exponent = repr(abs(number)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction).lstrip("0")
    point = len(whole) + int(exponent or 0) - (len(whole) + len(fraction) - len(digits))
    return gcvt(math.copysign(1.0, number) < 0, digits.rstrip("0"), point, PHP_SERIALIZE_DIGITS, "e")


def gcvt(negative: bool, digits: str, point: int, ndigit: int, exponent_char: str) -> str:
    """PHP's php_gcvt layout of significant digits `digits` (no trailing zeros) with the decimal
    point `point` places after the first: the exponent form, `1.0e-5`, when the point is before
    -3 or after `ndigit`; a zero shows as `0`, with no fraction part for an integral value."""
    sign = "-" if negative else ""
    if not digits:
        return sign + "0"
    if point < -3 or point > ndigit:
        power = point - 1
        return f"{sign}{digits[0]}.{digits[1:] or '0'}{exponent_char}{'-' if power < 0 else '+'}{abs(power)}"
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if len(digits) <= point:
        return sign + digits + "0" * (point - len(digits))
    return f"{sign}{digits[:point]}.{digits[point:]}"


def _php_floats(text: str) -> str:
    if _DIFFERENT_FLOAT.search(text) is None:
        return text  # the common case: no float PHP writes differently, checked at C speed
    return _STRING_OR_FLOAT.sub(_rewrite_number, text)


def _rewrite_number(match: re.Match) -> str:
    number = match.group(1)
    if number is None or ("." not in number and "e" not in number):
        return match.group(0)  # a string, or an integer
    return float_text(float(number))
