-- DuckDB peer of the `message` export (exports.md section 3).
-- needs: params selected_channels channels users virtual_agents teams contacts tags conversations messages message_tags
--
-- Rows: messages created in the range, in the selected channels; sorted by Created at,
-- then Message ID (unique, so no further ties). Current tags of a message: tags whose
-- last message_tags row (time, then reading order) is ADDED, ordered by the time they
-- were last added, then tag id; an unknown tag id keeps its place with an empty name.
WITH conv AS (
    SELECT
        c.conversation_id,
        c.contact_id,
        ch.medium,
        ch.name AS channel_name,
        ch.display_name AS channel_display_name,
        k.primary_identifier AS contact_primary_identifier,
        k.secondary_identifier AS contact_secondary_identifier,
        coalesce(c.url, replace(p.url_template, '{conversation_id}', c.conversation_id)) AS conversation_url
    FROM conversations c
    LEFT JOIN channels ch ON ch.channel_id = c.channel_id
    LEFT JOIN contacts k ON k.contact_id = c.contact_id
    CROSS JOIN params p
    WHERE c.channel_id IN (SELECT channel_id FROM selected_channels)
),
last_tag_row AS (
    SELECT message_id, tag_id, action, "at"
    FROM message_tags
    QUALIFY row_number() OVER (PARTITION BY message_id, tag_id ORDER BY "at" DESC, seq DESC) = 1
),
current_tags AS (
    SELECT
        t.message_id,
        string_agg(t.tag_id, ', ' ORDER BY t."at", t.tag_id) AS tag_ids,
        string_agg(coalesce(g.name, ''), ', ' ORDER BY t."at", t.tag_id) AS tag_names
    FROM last_tag_row t
    LEFT JOIN tags g ON g.tag_id = t.tag_id
    WHERE t.action = 'ADDED'
    GROUP BY t.message_id
)
SELECT
    m.message_id,
    m.created_at,
    m.conversation_id,
    c.medium,
    c.channel_name,
    c.channel_display_name,
    c.contact_id,
    c.contact_primary_identifier,
    c.contact_secondary_identifier,
    m.message_type,
    m.origin,
    m.outbound_type,
    m.direction,
    -- a virtual agent message: outbound, virtual_agent_id set, no user_id
    coalesce(m.user_id, CASE WHEN m.direction = 'OUTBOUND' THEN m.virtual_agent_id END) AS agent_id,
    coalesce(u.name, CASE WHEN m.direction = 'OUTBOUND' AND m.user_id IS NULL THEN v.name END) AS agent_name,
    u.reference AS agent_reference,
    m.team_id,
    tm.name AS team_name,
    ct.tag_ids,
    ct.tag_names,
    m.content,
    c.conversation_url,
    m.post_url,
    coalesce(m.updated_at, m.created_at) AS last_updated,
    m.deleted_at,
    m.system_user_type
FROM messages m
JOIN conv c ON c.conversation_id = m.conversation_id
CROSS JOIN params p
LEFT JOIN users u ON u.user_id = m.user_id
LEFT JOIN virtual_agents v ON v.virtual_agent_id = m.virtual_agent_id
LEFT JOIN teams tm ON tm.team_id = m.team_id
LEFT JOIN current_tags ct ON ct.message_id = m.message_id
WHERE m.created_at >= p.r_start AND m.created_at < p.r_end
ORDER BY m.created_at, m.message_id;
