-- DuckDB peers: reading the dump's CSV files, as a data analyst would.
--
-- Every file is read with all_varchar (the same floor as the pyarrow-only read), then
-- cast: timestamps to TIMESTAMPTZ (the session runs in UTC), enumerations upper-cased
-- and trimmed, booleans from true/false/1/0/yes/no. `seq` is the reading order (file
-- order), which dump-format.md uses to break ties between rows at the same instant.
-- Nothing after the snapshot exists (dump-format.md, "The snapshot").
--
-- What the peers do NOT do: the reader's validation (rejected rows, duplicates,
-- orphans, integer-millisecond timestamps, naive timestamps, loose or zipped files).
-- They assume a clean dump such as the demo; run.py checks that SparkDesk's import
-- report of the same dump has no rejected rows, duplicates or warnings.
--
-- The runner executes only the blocks an export needs: each block starts with
-- `-- object: NAME | needs: OTHER ...` and runs in file order. ${dump}, ${tz},
-- ${first_day}, ${last_day} and ${channel_filter} are filled in by benchmarks/run.py.

-- object: params
CREATE OR REPLACE TEMP TABLE params AS
SELECT
    timezone('${tz}', DATE '${first_day}'::TIMESTAMP) AS r_start,
    timezone('${tz}', (DATE '${last_day}' + 1)::TIMESTAMP) AS r_end,
    snapshot_at::VARCHAR::TIMESTAMPTZ AS snap,
    conversation_url_template::VARCHAR AS url_template
FROM read_json('${dump}/manifest.json');

-- object: channels
CREATE OR REPLACE TEMP TABLE channels AS
SELECT channel_id, medium, name, display_name
FROM read_csv('${dump}/channels.csv', all_varchar = true, header = true);

-- object: users
CREATE OR REPLACE TEMP TABLE users AS
SELECT user_id, name, email, reference
FROM read_csv('${dump}/users.csv', all_varchar = true, header = true);

-- object: teams
CREATE OR REPLACE TEMP TABLE teams AS
SELECT team_id, name, created_at::TIMESTAMPTZ AS created_at
FROM read_csv('${dump}/teams.csv', all_varchar = true, header = true);

-- object: virtual_agents
CREATE OR REPLACE TEMP TABLE virtual_agents AS
SELECT virtual_agent_id, name
FROM read_csv('${dump}/virtual_agents.csv', all_varchar = true, header = true);

-- object: contacts
CREATE OR REPLACE TEMP TABLE contacts AS
SELECT contact_id, medium, primary_identifier, secondary_identifier, updated_at::TIMESTAMPTZ AS updated_at
FROM read_csv('${dump}/contacts.csv', all_varchar = true, header = true);

-- object: topics
CREATE OR REPLACE TEMP TABLE topics AS
SELECT topic_id, name, coalesce(lower(trim(active)) IN ('true', '1', 'yes'), true) AS active
FROM read_csv('${dump}/topics.csv', all_varchar = true, header = true);

-- object: tags
CREATE OR REPLACE TEMP TABLE tags AS
SELECT tag_id, name, coalesce(lower(trim(active)) IN ('true', '1', 'yes'), true) AS active
FROM read_csv('${dump}/tags.csv', all_varchar = true, header = true);

-- object: business_hours
-- start and end as minutes of the local day; "24:00" is 1440.
CREATE OR REPLACE TEMP TABLE business_hours AS
SELECT
    channel_id,
    timezone,
    upper(trim(weekday)) AS weekday,
    split_part(start, ':', 1)::INTEGER * 60 + split_part(start, ':', 2)::INTEGER AS start_min,
    split_part("end", ':', 1)::INTEGER * 60 + split_part("end", ':', 2)::INTEGER AS end_min
FROM read_csv('${dump}/business_hours.csv', all_varchar = true, header = true);

-- object: holidays
CREATE OR REPLACE TEMP TABLE holidays AS
SELECT channel_id, "date"::DATE AS day, name
FROM read_csv('${dump}/holidays.csv', all_varchar = true, header = true);

-- object: conversations | needs: params
CREATE OR REPLACE TEMP TABLE conversations AS
SELECT conversation_id, channel_id, contact_id, created_at::TIMESTAMPTZ AS created_at, language, url
FROM read_csv('${dump}/conversations.csv', all_varchar = true, header = true)
WHERE created_at::TIMESTAMPTZ <= (SELECT snap FROM params);

-- object: selected_channels | needs: conversations
-- The channel filter: the selected channel ids, or every channel of a conversation.
CREATE OR REPLACE TEMP TABLE selected_channels AS
SELECT DISTINCT channel_id FROM conversations WHERE ${channel_filter};

-- object: messages | needs: params
CREATE OR REPLACE TEMP TABLE messages AS
SELECT *
FROM (
    SELECT
        message_id,
        conversation_id,
        created_at::TIMESTAMPTZ AS created_at,
        upper(trim(direction)) AS direction,
        message_type,
        origin,
        outbound_type,
        user_id,
        team_id,
        virtual_agent_id,
        system_user_type,
        content,
        post_url,
        updated_at::TIMESTAMPTZ AS updated_at,
        deleted_at::TIMESTAMPTZ AS deleted_at
    FROM read_csv('${dump}/messages.csv', all_varchar = true, header = true)
)
WHERE created_at <= (SELECT snap FROM params);

-- object: conversation_events | needs: params
CREATE OR REPLACE TEMP TABLE conversation_events AS
SELECT *
FROM (
    SELECT
        row_number() OVER () AS seq,
        event_id,
        conversation_id,
        "at"::TIMESTAMPTZ AS "at",
        upper(trim("type")) AS "type",
        user_id,
        team_id,
        virtual_agent_id,
        upper(trim(status)) AS status,
        upper(trim(resolved_by)) AS resolved_by,
        upper(trim("trigger")) AS "trigger",
        reason,
        "comment",
        topic_id,
        started_by,
        handover_reason
    FROM read_csv('${dump}/conversation_events.csv', all_varchar = true, header = true)
)
WHERE "at" <= (SELECT snap FROM params);

-- object: message_tags | needs: params
CREATE OR REPLACE TEMP TABLE message_tags AS
SELECT *
FROM (
    SELECT
        row_number() OVER () AS seq,
        message_id,
        tag_id,
        "at"::TIMESTAMPTZ AS "at",
        upper(trim(action)) AS action,
        user_id,
        team_id,
        virtual_agent_id
    FROM read_csv('${dump}/message_tags.csv', all_varchar = true, header = true)
)
WHERE "at" <= (SELECT snap FROM params);

-- object: csat_surveys | needs: params
-- An empty status means COMPLETED when a score is present, otherwise SENT.
CREATE OR REPLACE TEMP TABLE csat_surveys AS
SELECT *
FROM (
    SELECT
        row_number() OVER () AS seq,
        survey_id,
        conversation_id,
        sent_at::TIMESTAMPTZ AS sent_at,
        responded_at::TIMESTAMPTZ AS responded_at,
        score::INTEGER AS score,
        coalesce(
            upper(trim(status)), CASE WHEN score IS NOT NULL THEN 'COMPLETED' ELSE 'SENT' END
        ) AS status,
        followup_question,
        followup_answer
    FROM read_csv('${dump}/csat_surveys.csv', all_varchar = true, header = true)
)
WHERE sent_at <= (SELECT snap FROM params);

-- object: presence_events | needs: params
CREATE OR REPLACE TEMP TABLE presence_events AS
SELECT *
FROM (
    SELECT
        row_number() OVER () AS seq,
        user_id,
        "at"::TIMESTAMPTZ AS "at",
        upper(trim(presence)) AS presence,
        away_status
    FROM read_csv('${dump}/presence_events.csv', all_varchar = true, header = true)
)
WHERE "at" <= (SELECT snap FROM params);
