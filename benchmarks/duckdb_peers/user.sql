-- DuckDB peer of the `user` export (exports.md section 9).
-- needs: params selected_channels users conversations messages message_tags csat_surveys presence_events timeline human_replies resolutions lock_sessions
--
-- Rows: agents with, in the range, Available or Away time, a human reply, a lock
-- session opened, a resolution, a tag or topic added, or a survey attributed. Sorted by
-- User Name (empty first), then User ID. Conversation figures count the selected
-- channels only; presence ignores the channel filter. Durations in milliseconds.
WITH sel AS (
    SELECT conversation_id, contact_id
    FROM conversations
    WHERE channel_id IN (SELECT channel_id FROM selected_channels)
),
-- presence: an interval runs from an event to the same agent's next event; the last
-- one is open up to the snapshot. Zero-length intervals do not count. Cut to R and S.
presence_cut AS (
    SELECT
        i.user_id,
        i.presence,
        greatest(
            epoch_ms(least(i.end_at, p.r_end, p.snap)) - epoch_ms(greatest(i.start_at, p.r_start)), 0
        ) AS ms
    FROM (
        SELECT
            user_id,
            presence,
            "at" AS start_at,
            coalesce(lead("at") OVER (PARTITION BY user_id ORDER BY "at", seq), (SELECT snap FROM params))
                AS end_at
        FROM presence_events
    ) i
    CROSS JOIN params p
    WHERE i.presence IN ('AVAILABLE', 'AWAY') AND i.end_at > i.start_at
),
presence AS (
    SELECT
        user_id,
        CAST(sum(ms) FILTER (WHERE presence = 'AVAILABLE') AS BIGINT) AS available_time,
        CAST(sum(ms) FILTER (WHERE presence = 'AWAY') AS BIGINT) AS away_time
    FROM presence_cut
    WHERE ms > 0
    GROUP BY user_id
),
replies AS (
    SELECT h.user_id, count(*) AS replies, count(DISTINCT s.contact_id) AS contacts_helped
    FROM human_replies h
    JOIN sel s ON s.conversation_id = h.conversation_id
    CROSS JOIN params p
    WHERE h.created_at >= p.r_start AND h.created_at < p.r_end
    GROUP BY h.user_id
),
sessions AS (
    SELECT
        l.user_id,
        count(*) AS sessions_opened,
        CAST(sum(duration_ms) FILTER (WHERE klass = 'handle') AS BIGINT) AS handle_time,
        CAST(sum(duration_ms) FILTER (WHERE klass = 'no_reply') AS BIGINT) AS no_reply_time,
        CAST(sum(duration_ms) FILTER (WHERE klass = 'cherry_picking') AS BIGINT) AS cherry_picking_time,
        count(DISTINCT l.conversation_id) FILTER (WHERE klass = 'handle') AS handled_conversations
    FROM lock_sessions l
    JOIN sel s ON s.conversation_id = l.conversation_id
    CROSS JOIN params p
    WHERE l.open_at >= p.r_start AND l.open_at < p.r_end
    GROUP BY l.user_id
),
resolves AS (
    SELECT
        r.user_id,
        count(*) FILTER (WHERE r.with_reply) AS resolves_with_reply,
        count(*) FILTER (WHERE NOT r.with_reply) AS resolves_without_reply
    FROM resolutions r
    JOIN sel s ON s.conversation_id = r.conversation_id
    CROSS JOIN params p
    WHERE r."at" >= p.r_start AND r."at" < p.r_end AND r.user_id IS NOT NULL
    GROUP BY r.user_id
),
tags_added AS (
    SELECT t.user_id, count(*) AS tags_added
    FROM message_tags t
    JOIN messages m ON m.message_id = t.message_id
    JOIN sel s ON s.conversation_id = m.conversation_id
    CROSS JOIN params p
    WHERE t.action = 'ADDED' AND t."at" >= p.r_start AND t."at" < p.r_end AND t.user_id IS NOT NULL
    GROUP BY t.user_id
),
topics_added AS (
    SELECT e.user_id, count(*) AS topics_added
    FROM timeline e
    JOIN sel s ON s.conversation_id = e.conversation_id
    CROSS JOIN params p
    WHERE e."type" = 'TOPIC_ADDED' AND e."at" >= p.r_start AND e."at" < p.r_end AND e.user_id IS NOT NULL
    GROUP BY e.user_id
),
-- CSAT attribution: a scored survey responded in the range counts for the agent of the
-- conversation's latest resolution at or before the survey's sent_at.
csat AS (
    SELECT
        user_id,
        count(*) FILTER (WHERE score = 1) AS csat_1,
        count(*) FILTER (WHERE score = 2) AS csat_2,
        count(*) FILTER (WHERE score = 3) AS csat_3,
        count(*) FILTER (WHERE score = 4) AS csat_4,
        count(*) FILTER (WHERE score = 5) AS csat_5
    FROM (
        SELECT q.seq, q.score, r.user_id
        FROM csat_surveys q
        JOIN sel s ON s.conversation_id = q.conversation_id
        JOIN resolutions r ON r.conversation_id = q.conversation_id AND r."at" <= q.sent_at
        CROSS JOIN params p
        WHERE q.score IS NOT NULL AND q.responded_at >= p.r_start AND q.responded_at < p.r_end
        QUALIFY row_number() OVER (PARTITION BY q.seq ORDER BY r.pos DESC) = 1
    )
    WHERE user_id IS NOT NULL
    GROUP BY user_id
),
agents AS (
    SELECT user_id FROM presence
    UNION
    SELECT user_id FROM replies
    UNION
    SELECT user_id FROM sessions
    UNION
    SELECT user_id FROM resolves WHERE resolves_with_reply + resolves_without_reply > 0
    UNION
    SELECT user_id FROM tags_added
    UNION
    SELECT user_id FROM topics_added
    UNION
    SELECT user_id FROM csat
),
figures AS (
    SELECT
        a.user_id,
        coalesce(pr.available_time, 0) AS available_time,
        coalesce(pr.away_time, 0) AS away_time,
        coalesce(rp.contacts_helped, 0) AS contacts_helped,
        coalesce(se.handle_time, 0) AS handle_time,
        coalesce(se.no_reply_time, 0) AS no_reply_time,
        coalesce(se.cherry_picking_time, 0) AS cherry_picking_time,
        coalesce(se.handled_conversations, 0) AS handled_conversations,
        coalesce(rp.replies, 0) AS replies,
        coalesce(rs.resolves_with_reply, 0) AS resolves_with_reply,
        coalesce(rs.resolves_without_reply, 0) AS resolves_without_reply,
        coalesce(ta.tags_added, 0) AS tags_added,
        coalesce(tp.topics_added, 0) AS topics_added,
        coalesce(cs.csat_1, 0) AS csat_1,
        coalesce(cs.csat_2, 0) AS csat_2,
        coalesce(cs.csat_3, 0) AS csat_3,
        coalesce(cs.csat_4, 0) AS csat_4,
        coalesce(cs.csat_5, 0) AS csat_5
    FROM agents a
    LEFT JOIN presence pr ON pr.user_id = a.user_id
    LEFT JOIN replies rp ON rp.user_id = a.user_id
    LEFT JOIN sessions se ON se.user_id = a.user_id
    LEFT JOIN resolves rs ON rs.user_id = a.user_id
    LEFT JOIN tags_added ta ON ta.user_id = a.user_id
    LEFT JOIN topics_added tp ON tp.user_id = a.user_id
    LEFT JOIN csat cs ON cs.user_id = a.user_id
)
SELECT
    f.user_id,
    u.name AS user_name,
    u.email AS user_email,
    u.reference AS user_reference,
    f.available_time,
    f.away_time,
    f.contacts_helped,
    -- integer milliseconds, rounded half away from zero
    CASE
        WHEN f.handled_conversations > 0
            THEN (2 * f.handle_time + f.handled_conversations) // (2 * f.handled_conversations)
    END AS avg_handle_time,
    f.handle_time,
    f.no_reply_time,
    f.cherry_picking_time,
    f.replies,
    f.resolves_with_reply,
    f.resolves_without_reply,
    f.tags_added,
    f.topics_added,
    -- percent with 2 decimals, rounded half away from zero, from exact integers
    CASE
        WHEN f.available_time > 0
            THEN (
                (2 * (f.handle_time + f.no_reply_time + f.cherry_picking_time) * 10000 + f.available_time)
                // (2 * f.available_time)
            ) / 100.0
    END AS utilization,
    f.csat_1,
    f.csat_2,
    f.csat_3,
    f.csat_4,
    f.csat_5
FROM figures f
LEFT JOIN users u ON u.user_id = f.user_id
ORDER BY u.name NULLS FIRST, f.user_id;
