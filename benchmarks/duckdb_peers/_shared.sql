-- DuckDB peers: the definitions several exports share (exports.md, "Definitions used by
-- several exports"), each materialised once as a temp table. These run in the query
-- phase (timed with the export), after _load.sql. Same block format as _load.sql.

-- object: timeline | needs: conversation_events
-- Conversation events in timeline order: `at`, then reading order. `pos` is the place
-- in it; "strictly after" between events means a larger pos.
CREATE OR REPLACE TEMP TABLE timeline AS
SELECT row_number() OVER (ORDER BY "at", seq) AS pos, *
FROM conversation_events;

-- object: human_replies | needs: messages
-- An outbound message with a user_id (deleted ones included).
CREATE OR REPLACE TEMP TABLE human_replies AS
SELECT message_id, conversation_id, created_at, user_id, team_id
FROM messages
WHERE direction = 'OUTBOUND' AND user_id IS NOT NULL;

-- object: resolutions | needs: timeline human_replies
-- Every STATUS_CHANGED to RESOLVED. Resolution cycle: the first resolution closes
-- everything up to and including its `at`; each later one closes (previous at, its at].
-- With reply: a human reply (any agent) was created in its cycle.
CREATE OR REPLACE TEMP TABLE resolutions AS
WITH r AS (
    SELECT
        pos,
        "at",
        conversation_id,
        user_id,
        team_id,
        resolved_by,
        reason,
        "comment",
        "trigger",
        virtual_agent_id,
        lag("at") OVER (PARTITION BY conversation_id ORDER BY pos) AS prev_at
    FROM timeline
    WHERE "type" = 'STATUS_CHANGED' AND status = 'RESOLVED'
)
SELECT
    r.*,
    EXISTS (
        SELECT 1
        FROM human_replies h
        WHERE
            h.conversation_id = r.conversation_id
            AND h.created_at <= r."at"
            AND (r.prev_at IS NULL OR h.created_at > r.prev_at)
    ) AS with_reply
FROM r;

-- object: lock_sessions | needs: timeline human_replies params
-- exports.md "Lock sessions". A session opens at a LOCKED by agent U and closes at the
-- earliest of: U's UNLOCKED on the conversation; a LOCKED by another agent on it (a
-- steal); a STATUS_CHANGED to PENDING or RESOLVED on it; U's next LOCKED on another
-- conversation; else the snapshot. A LOCKED by U on the conversation U already holds
-- is ignored: U's previous LOCKED is on the same conversation and nothing has closed
-- it yet. Built from every conversation (before the channel filter).
-- Classes: handle (U replied in the conversation within [open, close]), else no reply
-- (closed by U's own RESOLVED), else cherry picking.
CREATE OR REPLACE TEMP TABLE lock_sessions AS
WITH lk AS (
    SELECT
        pos,
        "at",
        conversation_id AS conv,
        user_id,
        team_id,
        "type",
        "type" = 'STATUS_CHANGED' AND status IN ('PENDING', 'RESOLVED') AS is_release
    FROM timeline
    WHERE "type" IN ('LOCKED', 'UNLOCKED') OR ("type" = 'STATUS_CHANGED' AND status IN ('PENDING', 'RESOLVED'))
),
per_conv AS (
    -- next release of the conversation, and the agent's next UNLOCKED on it
    SELECT
        *,
        min(CASE WHEN is_release THEN pos END) OVER (
            PARTITION BY conv ORDER BY pos ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING
        ) AS nxt_release,
        min(CASE WHEN "type" = 'UNLOCKED' THEN pos END) OVER (
            PARTITION BY conv, user_id ORDER BY pos ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING
        ) AS nxt_unlock
    FROM lk
),
locks AS (
    SELECT
        *,
        -- a run of locks by one agent on the conversation; the next run is a steal
        lag(user_id) OVER (PARTITION BY conv ORDER BY pos) IS DISTINCT FROM user_id AS steal_start,
        -- a run of the agent's locks on one conversation; the next run is another conversation
        lag(conv) OVER (PARTITION BY user_id ORDER BY pos) IS DISTINCT FROM conv AS conv_start
    FROM per_conv
    WHERE "type" = 'LOCKED'
),
closers AS (
    SELECT
        *,
        least(
            nxt_release,
            nxt_unlock,
            min(CASE WHEN steal_start THEN pos END) OVER (
                PARTITION BY conv ORDER BY pos ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING
            ),
            min(CASE WHEN conv_start THEN pos END) OVER (
                PARTITION BY user_id ORDER BY pos ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING
            )
        ) AS close_pos -- NULL: nothing closes it before the snapshot
    FROM locks
),
flagged AS (
    SELECT
        *,
        lag(conv) OVER w = conv AND coalesce(lag(close_pos) OVER w > pos, true) AS ignored
    FROM closers
    WINDOW w AS (PARTITION BY user_id ORDER BY pos)
),
sessions AS (
    SELECT
        s.conv AS conversation_id,
        s.user_id,
        s.team_id,
        s."at" AS open_at,
        coalesce(c."at", p.snap) AS close_at,
        c."type" = 'STATUS_CHANGED' AND c.status = 'RESOLVED' AND c.user_id = s.user_id AS resolved_by_me
    FROM flagged s
    LEFT JOIN timeline c ON c.pos = s.close_pos
    CROSS JOIN params p
    WHERE NOT coalesce(s.ignored, false)
)
SELECT
    s.conversation_id,
    s.user_id,
    s.team_id,
    s.open_at,
    s.close_at,
    epoch_ms(s.close_at) - epoch_ms(s.open_at) AS duration_ms,
    CASE
        WHEN EXISTS (
            SELECT 1
            FROM human_replies h
            WHERE
                h.conversation_id = s.conversation_id
                AND h.user_id = s.user_id
                AND h.created_at BETWEEN s.open_at AND s.close_at
        ) THEN 'handle'
        WHEN coalesce(s.resolved_by_me, false) THEN 'no_reply'
        ELSE 'cherry_picking'
    END AS klass
FROM sessions s;
