"""The cascade's control between nodes (docs/cluster.md): the node link that opens the
encrypted media link of sfu/cascade/, and the two ends of a remote subscriber: `home` (the node
hosting a meeting, where its participants' sessions run) and `host` (the node a participant
came in through, which receives media for it on its own ports)."""
