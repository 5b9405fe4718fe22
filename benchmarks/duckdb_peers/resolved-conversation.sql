-- DuckDB peer of the `resolved-conversation` export (exports.md section 1).
-- needs: params selected_channels channels users teams contacts topics conversations messages csat_surveys business_hours holidays timeline human_replies resolutions lock_sessions
--
-- Rows: conversations in the selected channels whose first resolution is in the range.
-- Sorted by first resolution time, then Conversation ID (unique). Durations in ms.
--
-- First response time in business hours: the open intervals of every local day of a
-- staffed channel (rows of one weekday merged, holidays left out) are turned into UTC
-- instants with timezone(); open time up to an instant t is then the cumulative length
-- of the intervals before it plus the part of the one it falls in (an ASOF join), and
-- FRT = open(reply) - open(t0). Exact for intervals that contain a daylight-saving
-- change (the UTC length of [00:00, 24:00) on such a day is 23 or 25 h); an interval
-- that starts or ends inside a skipped or repeated hour takes DuckDB's reading of that
-- local time (the demo has none). One time zone per channel, as the spec assumes.
WITH conv AS (
    SELECT c.*
    FROM conversations c
    WHERE c.channel_id IN (SELECT channel_id FROM selected_channels)
),
first_resolution AS (
    SELECT conversation_id, arg_min("at", pos) AS first_at
    FROM resolutions
    GROUP BY conversation_id
),
rows AS (
    SELECT c.*, f.first_at
    FROM conv c
    JOIN first_resolution f ON f.conversation_id = c.conversation_id
    CROSS JOIN params p
    WHERE f.first_at >= p.r_start AND f.first_at < p.r_end
),
latest_resolution AS (
    SELECT conversation_id, resolved_by, reason, "comment", "trigger", "at", user_id
    FROM resolutions
    QUALIFY row_number() OVER (PARTITION BY conversation_id ORDER BY pos DESC) = 1
),
current_status AS (
    SELECT conversation_id, arg_max(status, pos) AS status
    FROM timeline
    WHERE "type" = 'STATUS_CHANGED'
    GROUP BY conversation_id
),
last_change AS (
    -- the last change's own user and team, even when empty (arg_max would skip NULLs)
    SELECT conversation_id, user_id, team_id
    FROM timeline
    WHERE "type" = 'STATUS_CHANGED' AND status IN ('PENDING', 'RESOLVED')
    QUALIFY row_number() OVER (PARTITION BY conversation_id ORDER BY pos DESC) = 1
),
message_counts AS (
    SELECT
        conversation_id,
        count(*) FILTER (WHERE direction = 'INBOUND') AS inbound_messages,
        count(*) FILTER (WHERE direction = 'OUTBOUND') AS outbound_messages,
        min(created_at) FILTER (WHERE direction = 'INBOUND') AS first_inbound_at,
        max(greatest(created_at, updated_at, deleted_at)) AS last_message_time
    FROM messages
    GROUP BY conversation_id
),
-- first response time: t0 is the first VA/AR handover strictly before the first human
-- reply, else the first inbound message; the first response is the first human reply
-- at or after t0.
first_reply AS (
    SELECT conversation_id, min(created_at) AS first_reply_at
    FROM human_replies
    GROUP BY conversation_id
),
handover AS (
    SELECT q.conversation_id, min(q."at") AS handover_at
    FROM timeline q
    JOIN first_reply f ON f.conversation_id = q.conversation_id
    WHERE
        q."type" = 'QUEUED'
        AND upper(q.started_by) IN ('VA_HANDED_OVER_CONVERSATION', 'AR_HANDED_OVER_CONVERSATION')
        AND q."at" < f.first_reply_at
    GROUP BY q.conversation_id
),
frt_t0 AS (
    SELECT r.conversation_id, r.channel_id, coalesce(ho.handover_at, mc.first_inbound_at) AS t0
    FROM rows r
    LEFT JOIN handover ho ON ho.conversation_id = r.conversation_id
    LEFT JOIN message_counts mc ON mc.conversation_id = r.conversation_id
),
frt_span AS (
    SELECT t.conversation_id, t.channel_id, t.t0, min(h.created_at) AS t1
    FROM frt_t0 t
    JOIN human_replies h ON h.conversation_id = t.conversation_id AND h.created_at >= t.t0
    GROUP BY t.conversation_id, t.channel_id, t.t0
),
zones AS (
    SELECT DISTINCT channel_id, timezone FROM business_hours
),
merged_hours AS (
    -- rows of one channel, zone and weekday that overlap (or touch) merge
    SELECT channel_id, timezone, weekday, min(start_min) AS start_min, max(end_min) AS end_min
    FROM (
        SELECT
            *,
            sum(new_run::INTEGER) OVER (
                PARTITION BY channel_id, timezone, weekday ORDER BY start_min, end_min
            ) AS run
        FROM (
            SELECT
                *,
                coalesce(
                    start_min > max(end_min) OVER (
                        PARTITION BY channel_id, timezone, weekday
                        ORDER BY start_min, end_min
                        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
                    ),
                    true
                ) AS new_run
            FROM business_hours
        )
    )
    GROUP BY channel_id, timezone, weekday, run
),
local_days AS (
    SELECT z.channel_id, z.timezone, d::DATE AS day
    FROM zones z
    CROSS JOIN (SELECT min(t0) AS lo, max(t1) AS hi FROM frt_span) s
    CROSS JOIN LATERAL (
        SELECT unnest(
            range(
                timezone(z.timezone, s.lo)::DATE - 2, timezone(z.timezone, s.hi)::DATE + 3, INTERVAL 1 DAY
            )
        ) AS d
    )
    WHERE s.lo IS NOT NULL
),
open_intervals AS (
    SELECT
        i.channel_id,
        epoch_ms(i.a) AS a,
        epoch_ms(i.b) - epoch_ms(i.a) AS len,
        CAST(sum(epoch_ms(i.b) - epoch_ms(i.a)) OVER (
            PARTITION BY i.channel_id ORDER BY i.a ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
        ) AS BIGINT) AS before
    FROM (
        SELECT
            d.channel_id,
            timezone(d.timezone, d.day::TIMESTAMP + m.start_min * INTERVAL 1 MINUTE) AS a,
            timezone(d.timezone, d.day::TIMESTAMP + m.end_min * INTERVAL 1 MINUTE) AS b
        FROM local_days d
        JOIN merged_hours m
            ON m.channel_id = d.channel_id AND m.timezone = d.timezone AND m.weekday = upper(dayname(d.day))
        WHERE NOT EXISTS (SELECT 1 FROM holidays h WHERE h.channel_id = d.channel_id AND h.day = d.day)
    ) i
),
open_until AS (
    -- open milliseconds of the channel before each end of the span
    SELECT
        x.conversation_id,
        x.which,
        CASE WHEN o.a IS NULL THEN 0 ELSE coalesce(o.before, 0) + least(greatest(x.t - o.a, 0), o.len) END
            AS open_ms
    FROM (
        SELECT conversation_id, channel_id, 0 AS which, epoch_ms(t0) AS t FROM frt_span
        UNION ALL
        SELECT conversation_id, channel_id, 1 AS which, epoch_ms(t1) AS t FROM frt_span
    ) x
    ASOF LEFT JOIN open_intervals o ON o.channel_id = x.channel_id AND x.t >= o.a
),
frt AS (
    SELECT
        f.conversation_id,
        CASE
            WHEN f.channel_id IN (SELECT channel_id FROM zones) THEN u1.open_ms - u0.open_ms
            ELSE epoch_ms(f.t1) - epoch_ms(f.t0)
        END AS first_response_time
    FROM frt_span f
    LEFT JOIN open_until u0 ON u0.conversation_id = f.conversation_id AND u0.which = 0
    LEFT JOIN open_until u1 ON u1.conversation_id = f.conversation_id AND u1.which = 1
),
session_times AS (
    SELECT
        conversation_id,
        CAST(sum(duration_ms) FILTER (WHERE klass = 'handle') AS BIGINT) AS handle_time,
        CAST(sum(duration_ms) FILTER (WHERE klass = 'no_reply') AS BIGINT) AS no_reply_time,
        CAST(sum(duration_ms) FILTER (WHERE klass = 'cherry_picking') AS BIGINT) AS cherry_picking_time
    FROM lock_sessions
    GROUP BY conversation_id
),
current_topics AS (
    SELECT
        t.conversation_id,
        string_agg(t.topic_id, ', ' ORDER BY t."at", t.topic_id) AS topic_ids,
        string_agg(coalesce(tp.name, ''), ', ' ORDER BY t."at", t.topic_id) AS topic_names
    FROM (
        SELECT conversation_id, topic_id, "type", "at"
        FROM timeline
        WHERE "type" IN ('TOPIC_ADDED', 'TOPIC_REMOVED')
        QUALIFY row_number() OVER (PARTITION BY conversation_id, topic_id ORDER BY pos DESC) = 1
    ) t
    LEFT JOIN topics tp ON tp.topic_id = t.topic_id
    WHERE t."type" = 'TOPIC_ADDED'
    GROUP BY t.conversation_id
),
event_times AS (
    SELECT conversation_id, max("at") AS last_event_at
    FROM timeline
    GROUP BY conversation_id
),
csat AS (
    SELECT
        conversation_id,
        score,
        status,
        followup_question,
        followup_answer,
        greatest(sent_at, responded_at) AS last_survey_time,
        max(greatest(sent_at, responded_at)) OVER (PARTITION BY conversation_id) AS all_surveys_time
    FROM csat_surveys
    QUALIFY row_number() OVER (PARTITION BY conversation_id ORDER BY sent_at DESC, seq DESC) = 1
)
SELECT
    r.conversation_id,
    ch.medium,
    ch.name AS channel_name,
    ch.display_name AS channel_display_name,
    r.contact_id,
    k.primary_identifier AS contact_primary_identifier,
    k.secondary_identifier AS contact_secondary_identifier,
    r.created_at,
    lc.user_id AS last_change_user_id,
    lcu.name AS last_change_user_name,
    lcu.reference AS last_change_user_reference,
    lc.team_id AS last_change_team_id,
    lct.name AS last_change_team_name,
    coalesce(cs.status, 'NEW') AS current_status,
    lr.resolved_by,
    lr.reason AS resolve_reason,
    lr."comment" AS resolve_comment,
    lr."trigger" AS triggered_by,
    lr."at" AS resolved_at,
    lr.user_id AS resolved_user_id,
    lru.name AS resolved_user_name,
    lru.reference AS resolved_user_reference,
    coalesce(mc.inbound_messages, 0) AS inbound_messages,
    coalesce(mc.outbound_messages, 0) AS outbound_messages,
    frt.first_response_time,
    coalesce(st.handle_time, 0) AS handle_time,
    coalesce(st.no_reply_time, 0) AS no_reply_time,
    coalesce(st.cherry_picking_time, 0) AS cherry_picking_time,
    CASE
        WHEN r.first_at >= mc.first_inbound_at THEN epoch_ms(r.first_at) - epoch_ms(mc.first_inbound_at)
    END AS resolution_time,
    tp.topic_ids,
    tp.topic_names,
    coalesce(r.url, replace(p.url_template, '{conversation_id}', r.conversation_id)) AS conversation_url,
    greatest(r.created_at, mc.last_message_time, et.last_event_at, sv.all_surveys_time) AS last_updated,
    r.language,
    sv.score AS csat_score,
    sv.status AS csat_status,
    sv.followup_question AS csat_question,
    sv.followup_answer AS csat_answer
FROM rows r
CROSS JOIN params p
LEFT JOIN channels ch ON ch.channel_id = r.channel_id
LEFT JOIN contacts k ON k.contact_id = r.contact_id
LEFT JOIN last_change lc ON lc.conversation_id = r.conversation_id
LEFT JOIN users lcu ON lcu.user_id = lc.user_id
LEFT JOIN teams lct ON lct.team_id = lc.team_id
LEFT JOIN current_status cs ON cs.conversation_id = r.conversation_id
LEFT JOIN latest_resolution lr ON lr.conversation_id = r.conversation_id
LEFT JOIN users lru ON lru.user_id = lr.user_id
LEFT JOIN message_counts mc ON mc.conversation_id = r.conversation_id
LEFT JOIN frt ON frt.conversation_id = r.conversation_id
LEFT JOIN session_times st ON st.conversation_id = r.conversation_id
LEFT JOIN current_topics tp ON tp.conversation_id = r.conversation_id
LEFT JOIN event_times et ON et.conversation_id = r.conversation_id
LEFT JOIN csat sv ON sv.conversation_id = r.conversation_id
ORDER BY r.first_at, r.conversation_id;
