"""A deterministic synthetic dump: the demo users see first, the fixture tests lean on, and
the load that benchmarks scale up.

``write_demo(out, conversations=500, seed=1)`` writes a complete dump (``manifest.json`` and
one CSV per table of ``dump-format.md``) covering about 60 days that end at a fixed snapshot
(2025-06-30T20:00:00Z), never "today", so the same ``(conversations, seed)`` always gives
byte-identical files.

Why it is built the way it is:

- **Vectorised.** A million conversations (about ten million messages) must come out in a
  few minutes, so nothing loops over conversations or messages in Python. Each conversation
  lives through at most ``MAX_CYCLES`` *cycles* (contact writes, a bot or auto-responder may
  answer, the conversation is queued, agents lock it, reply and resolve it; a resolved
  conversation may be reopened by the contact). Every stage of a cycle is computed for all
  conversations at once with numpy: per-conversation counts drawn from the generator,
  ``np.repeat`` to expand them into rows, cumulative sums to lay out times.
- **Realistic and complete.** Every table and every column that an export reads is
  exercised: virtual-agent handovers (some by ``ERROR``), auto-responder handovers, steals,
  cherry picking, no-reply resolutions, agents moving between conversations, reopened
  conversations, pending and open conversations at the snapshot, topics and tags added and
  removed, CSAT surveys in every state, presence with shifts and breaks, business hours in
  two time zones with a holiday, edited and deleted messages, and text that needs CSV
  quoting or the formula guard.
- **Fast CSV.** Cells are formatted column by column (fixed-width ids and timestamps are
  written digit by digit into byte matrices; text comes from small pre-quoted vocabularies),
  then rows are joined by pyarrow and written in chunks. Quoting is minimal (RFC 4180),
  so the files look like a real export.
- **Consistent.** Within a conversation every event and message comes after its creation,
  replies come after the inbound message they answer (except the deliberate
  outbound-first conversations, which open with an agent's template), and nothing is dated
  after the snapshot: rows that the simulation places later are cut, which is what leaves
  some conversations open, some locks held and some surveys unanswered at the snapshot.
  Across conversations, an agent holds one lock at a time: an UNLOCKED of a lock that the
  agent's next lock elsewhere (or a steal, or a status change) already released is dropped,
  so every UNLOCKED closes a lock session.
- **Documented.** The manifest's ``demo`` entry gives the conversations and seed, the
  warnings ``sparkdesk inspect`` prints on purpose (in its words, with why) and the oddities
  that are there on purpose (``writing.INSPECT_WARNINGS_ON_PURPOSE``, ``ODDITIES_ON_PURPOSE``).

Scale: the number of agents (and teams) grows with the number of conversations (about one
agent per 2,000 conversations, at least 12 in 3 teams), so per-agent workload stays human.

Memory: up to 500,000 conversations everything is simulated at once, in memory (about
1 GiB at 300,000). Bigger dumps are lived 500,000 conversations at a time, their rows
spilled to a scratch folder next to the output and merged back in time order
(``chunked``), so memory stays about flat in the number of conversations.

The package, from the ground up:

- ``organisation``: the time frame, Acme Demo Org's reference data and the vocabularies of
  every cell (enumerations, message texts);
- ``sampling``: random draws and segment arithmetic;
- ``world``: agents, teams, shifts, and who is on shift when;
- ``conversations``: creation times, contacts and the ``Simulation`` of every conversation;
- ``generation``: all of it run for a ``(conversations, seed)``, cut at the snapshot, as ``Data``;
- ``chunked``: the same, a chunk of conversations at a time, spilled to disk and merged;
- ``cells``: vectorised CSV cell formatting;
- ``tables``: each table as rows or as a producer of its cells;
- ``writing``: ``write_demo``, to a folder or a zip.
"""

from __future__ import annotations

from sparkdesk.demo.organisation import SNAPSHOT
from sparkdesk.demo.writing import DEMO_ZIP_NAME, write_demo

__all__ = ["DEMO_ZIP_NAME", "SNAPSHOT", "write_demo"]
