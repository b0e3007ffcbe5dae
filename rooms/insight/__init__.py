"""Member insight for organisers: participation, relations between members and dynamics, with
privacy rules (docs/market-and-insight.md). Reads the community's tables; never the SFU, the
live meeting or the marketplace."""
