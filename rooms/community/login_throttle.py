"""Login throttling: password guessing slows down exponentially, while the account's real
member, signing in from anywhere the guessing does not come from, is never kept out.

Three tables of failures (rooms/ratelimit.py FailureBackoff), all forgotten after 15 quiet
minutes:

- (account, address): strict. 5 wrong passwords, then 1 s, 2 s, 4 s ... at most 5 minutes
  between tries. One guesser on one address gets about a dozen guesses an hour.
- address: for one address spraying many accounts (each pair fresh): 30 failures across
  accounts, then the same back-off. Mobile carriers put many members behind one address
  (CGNAT), hence the higher allowance; a lock here lasts 5 minutes at most.
- account: for many addresses guessing one account (a botnet). It is loose on purpose: a
  lock-out by account alone would let anyone lock a member out just by failing on their
  name. So it only stops an address that has already failed for this account, after 10
  failures from anywhere, and for at most a minute. An address with no failure for the
  account (the member's phone) is never stopped by it; a guessing botnet gets one try per
  address per minute.

Every attempt is counted as a failure before the password is checked, and taken back when it
succeeds: a burst of parallel guesses cannot all slip in before the first one fails. A
refused attempt is not counted (the lock does not grow while the guesser waits), and costs
the server no argon2 hashing.
"""

from __future__ import annotations

from rooms.ratelimit import MAX_KEYS, FailureBackoff

FORGET_AFTER = 15 * 60.0
PAIR_FREE, ADDRESS_FREE, ACCOUNT_FREE = 5, 30, 10
FIRST_LOCK = 1.0
MAX_LOCK = 5 * 60.0
ACCOUNT_MAX_LOCK = 60.0


class LoginThrottle:
    def __init__(self, max_keys: int = MAX_KEYS) -> None:
        self.pairs: FailureBackoff[tuple[str, str]] = FailureBackoff(
            PAIR_FREE, FIRST_LOCK, MAX_LOCK, FORGET_AFTER, max_keys
        )
        self.addresses: FailureBackoff[str] = FailureBackoff(
            ADDRESS_FREE, FIRST_LOCK, MAX_LOCK, FORGET_AFTER, max_keys
        )
        self.accounts: FailureBackoff[str] = FailureBackoff(
            ACCOUNT_FREE, FIRST_LOCK, ACCOUNT_MAX_LOCK, FORGET_AFTER, max_keys
        )

    def attempt(self, account: str, address: str, now: float) -> float:
        """0.0: check the password (the attempt counts as a failure until `succeeded`);
        otherwise refuse it without checking: the seconds until a try may succeed."""
        pair = (account, address)
        wait = max(self.pairs.wait(pair, now), self.addresses.wait(address, now))
        if self.pairs.failures(pair, now) > 0:
            wait = max(wait, self.accounts.wait(account, now))
        if wait > 0:
            return wait
        self.pairs.fail(pair, now)
        self.addresses.fail(address, now)
        self.accounts.fail(account, now)
        return 0.0

    def succeeded(self, account: str, address: str, now: float) -> None:
        """The password was right: this address starts afresh for this account."""
        self.pairs.forgive((account, address))
        self.addresses.unfail(address, now)
        self.accounts.unfail(account, now)

    def abandoned(self, account: str, address: str, now: float) -> None:
        """The attempt ended before the password was judged (a server fault, a bad field):
        it does not count."""
        self.pairs.unfail((account, address), now)
        self.addresses.unfail(address, now)
        self.accounts.unfail(account, now)
