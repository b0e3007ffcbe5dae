"""Rules against obvious recruitment fraud: one person making many accounts from one device or
one connection in a short time. Pure: counts in, decisions out.

Nothing is dropped silently. Past a hard limit a registration is refused with a reason and a
time to wait (429); below it, a sign-up that looks like a batch is recorded with flags, which
the campaign report and the leaderboard show beside the clean count. A recruiter at a car-free
day who signs up a queue of people on her own phone gets flagged sign-ups, not lost ones: the
organiser looks and decides.
"""

from __future__ import annotations

import hashlib
import hmac

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
# From the 3rd sign-up a day from one device, and the 6th an hour from one address, the new
# ones are flagged. A family or an office shares a connection (and Indonesian mobile carriers
# put many phones behind one address), so the address threshold is the looser one.
SAME_DEVICE_FLAG_AT = 3
SAME_ADDRESS_FLAG_AT = 6
# No device registers more than this many accounts a day through referral links.
DEVICE_LIMIT_PER_DAY = 30


def flags_for(device_count_day: int, address_count_hour: int) -> list[str]:
    """Flags for a new sign-up, given how many earlier sign-ups the same device made in the
    last day and the same address in the last hour."""
    flags = []
    if device_count_day + 1 >= SAME_DEVICE_FLAG_AT:
        flags.append("same_device")
    if address_count_hour + 1 >= SAME_ADDRESS_FLAG_AT:
        flags.append("same_address")
    return flags


def device_refused(device_count_day: int) -> bool:
    return device_count_day >= DEVICE_LIMIT_PER_DAY


def private_key(secret: str, kind: str, value: str) -> str:
    """A keyed hash of an address or a device id: equal inputs give equal keys, and the input
    cannot be read back (nor guessed by hashing candidate addresses without the secret).
    "" stays "" (no device id sent)."""
    if not value:
        return ""
    digest = hmac.new(secret.encode(), f"{kind}:{value}".encode(), hashlib.sha256)
    return digest.hexdigest()[:16]
