"""Reminders and broadcasts, the I/O side: segments and campaigns against the database.

The pure decisions live in ``flows.segments`` (the query language) and ``flows.campaigns``
(who gets which message when); this room loads voters, stores decisions and reports on them.

| module | job |
| --- | --- |
| ``segment_sql`` | a segment query compiled to one SQL condition over ``contacts`` (bound parameters only) |
| ``facts`` | ``ContactFacts`` for many contacts, in keyset-paginated batches; how a voter's TPS is known |
| ``segments`` | count a segment, explain one voter's membership with evidence, saved segments |
| ``campaigns`` | publish a campaign file as a version; pause / resume / cancel (audited) |
| ``planner`` | schedule: one reminder row per contact × event, resumable, never doubled |
| ``preview`` | what scheduling would do, nothing written |
| ``results`` | planned, sent, delivered, read, replied, opted out, failures by reason |
| ``dispatcher``, ``claims``, ``leases`` | claiming due reminders and sending them (the dispatch half) |

Campaign status (``active`` | ``paused`` | ``cancelled``) is the contract between the planning
and dispatch halves: only reminders of ``active`` campaigns are sent.
"""
