"""Live meetings on this node: the stage (roles, hands, questions), join grants and the room
that ties its participants to the SFU's media router. May use the community, never the reverse."""
