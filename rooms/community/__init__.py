"""The community: accounts, rooms, chat, uploads, agenda and town-hall records, kept in the
database every node shares. Nothing here imports the SFU or the live meeting (rooms.meeting)."""
