"""The cascade: one meeting's media across nodes (docs/cluster.md).

A meeting's state lives on one node, its home; a participant whose socket came in through
another node receives media there, on that node's own ports. Each track a node needs crosses
from the home to it once (`track_export` on the home, `track_import` on the other node) over
one encrypted and authenticated UDP link per pair of nodes (`media_link`, `link_crypto`), and
that node fans it out to its own subscribers. Key-frame requests and NACKs go back over the
same link as RTCP (RFC 4585). The control messages that open and steer the remote subscribers
travel over the node link in signalling/node_link.py.
"""
