"""The conversation: one inbound message through the turn (``loop``), in per-contact order
(``keyed_locks``), with the voter's rights (``privacy``) and what their signals teach the profile
(``profile``). ``messages`` holds the plain values channels exchange with the loop."""
