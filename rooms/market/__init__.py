"""The community marketplace: listings members sell to each other, their photos, reports and
the conversation with the seller (docs/market-and-insight.md). Uses the community's accounts,
rooms and chat; never the SFU or the live meeting."""
