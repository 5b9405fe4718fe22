"""The export catalogue: every export type, its columns in order, and their headers in each
header language.

This table is the single source of truth that the exports, the preview grid and the
writers all read; nothing else spells a header, a header language or a column kind.

Header languages are ``HEADER_LANGS``. A column's header and an export's name (a
workbook's sheet name) are given in each, in that order: ``("key", "English", "Español",
"kind")``; a third language is one more entry there and one more text in every row.

Column kinds decide how a value is stored in a computed table and how it is written:

- ``id``, ``text``, ``enum``: text (``str``), empty is missing;
- ``timestamp``: ``datetime64[ms, UTC]``, written in the chosen zone;
- ``duration``: milliseconds as ``Int64``, written as seconds with 3 decimals;
- ``count``, ``score``: ``Int64``;
- ``percent``: ``Float64`` already rounded to 2 places;
- ``bool``: ``boolean``, written ``true``/``false``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

# The header languages, each named in itself (the window's header menu shows these names).
HEADER_LANGS: dict[str, str] = {"en": "English", "es": "Español"}

# Each column kind and its dtype in a computed table (``exports.shape.conform`` casts to it).
KIND_DTYPES: dict[str, str] = {
    "id": "str",
    "text": "str",
    "enum": "str",
    "timestamp": "datetime64[ms, UTC]",
    "duration": "Int64",
    "count": "Int64",
    "score": "Int64",
    "percent": "Float64",
    "bool": "boolean",
}
KINDS: tuple[str, ...] = tuple(KIND_DTYPES)
TEXT_KINDS = frozenset({"id", "text", "enum"})  # written as they are (and formula-guarded)
NUMERIC_KINDS = frozenset({"duration", "count", "score", "percent"})  # right-aligned in the preview


@dataclass(frozen=True)
class Column:
    key: str
    header_by_lang: dict[str, str] = field(hash=False)  # one per HEADER_LANGS
    kind: str

    def header(self, lang: str) -> str:
        return self.header_by_lang[lang]


@dataclass(frozen=True)
class ExportType:
    id: str
    name_by_lang: dict[str, str] = field(hash=False)  # one per HEADER_LANGS
    columns: tuple[Column, ...]
    uses_channels: bool = True
    range_optional: bool = False
    has_content: bool = False  # its rows carry message text, left out on request (include_content)
    # exports.md "Sorted by ...": these keys, then the id columns in order (shape.sort_rows)
    sort_by: tuple[str, ...] = ()

    def name(self, lang: str) -> str:
        return self.name_by_lang[lang]

    def headers(self, lang: str) -> list[str]:
        return [c.header(lang) for c in self.columns]

    @property
    def keys(self) -> list[str]:
        return [c.key for c in self.columns]


def _by_lang(*texts: str) -> dict[str, str]:
    """``texts`` in the order of HEADER_LANGS, keyed by language."""
    return dict(zip(HEADER_LANGS, texts, strict=True))


def _cols(*rows: tuple[str, ...]) -> tuple[Column, ...]:
    """Columns from rows ``(key, header in each language..., kind)``."""
    return tuple(Column(key, _by_lang(*headers), kind) for key, *headers, kind in rows)


_CHANNEL = (
    ("medium", "Medium", "Mediano", "text"),
    ("channel_name", "Channel", "Canal", "text"),
    ("channel_display_name", "Channel Display Name", "Nombre mostrado del canal", "text"),
)

_CONVERSATION_HEAD = (
    ("conversation_id", "Conversation ID", "ID de conversación", "id"),
    *_CHANNEL,
    ("contact_id", "Contact Profile ID", "ID de perfil de contacto", "id"),
    (
        "contact_primary_identifier",
        "Contact Primary Identifier",
        "Identificador principal de contacto",
        "text",
    ),
    (
        "contact_secondary_identifier",
        "Contact Secondary Identifier",
        "Identificador secundario de contacto",
        "text",
    ),
    ("created_at", "Created at", "Creado en", "timestamp"),
    ("last_change_user_id", "Last Status Change Agent ID", "ID del agente de último cambio de estado", "id"),
    (
        "last_change_user_name",
        "Last Status Change Agent Name",
        "Nombre del agente de último cambio de estado",
        "text",
    ),
    (
        "last_change_user_reference",
        "Last Status Change Agent Reference",
        "Referencia del último agente de cambio de estado",
        "text",
    ),
    ("last_change_team_id", "Last Status Change Team ID", "ID del equipo de último cambio de estado", "id"),
    (
        "last_change_team_name",
        "Last Status Change Team Name",
        "Nombre del equipo de último cambio de estado",
        "text",
    ),
    ("current_status", "Current Status", "Estado actual", "enum"),
)

_RESOLVED_AGENT = (
    ("resolved_at", "Resolved At", "Resuelto en", "timestamp"),
    ("resolved_user_id", "Resolved Agent ID", "ID de agente resuelto", "id"),
    ("resolved_user_name", "Resolved Agent Name", "Nombre del agente resuelto", "text"),
    ("resolved_user_reference", "Resolved Agent Reference", "Referencia de agente resuelta", "text"),
)

_CONVERSATION_FIGURES = (
    ("inbound_messages", "Number of Inbound Messages", "Número de mensajes entrantes", "count"),
    ("outbound_messages", "Number of Outbound Messages", "Número de mensajes salientes", "count"),
    ("first_response_time", "First Response Time (s)", "Tiempo (s) de primera respuesta", "duration"),
    ("handle_time", "Handle Time (s)", "Tiempo (s) de manejo", "duration"),
    ("no_reply_time", "No Reply Time (s)", "Tiempo (s) sin respuesta", "duration"),
    ("cherry_picking_time", "Cherry Picking Time (s)", "Tiempo (s) de recolección de cerezas", "duration"),
    ("resolution_time", "Resolution Time (s)", "Tiempo (s) de resolución", "duration"),
    ("topic_ids", "Topic IDs", "ID de tema", "id"),
    ("topic_names", "Topic Names", "Nombres de temas", "text"),
    ("conversation_url", "Conversation URL", "URL de conversación", "text"),
    ("last_updated", "Last Updated", "Última actualización", "timestamp"),
    ("language", "Language", "Idioma", "text"),
)

_CSAT_SCORES = tuple(
    (f"csat_{n}", f"CSAT Score {n}", es, "count")
    for n, es in (
        (1, "CSAT con puntuación 1"),
        (2, "CSAT con Score 2"),
        (3, "CSAT con Score 3"),
        (4, "CSAT con Score 4"),
        (5, "CSAT con puntuación 5"),
    )
)

EXPORTS: tuple[ExportType, ...] = (
    ExportType(
        "resolved-conversation",
        _by_lang("Resolved Conversations", "Conversaciones resueltas"),
        _cols(
            *_CONVERSATION_HEAD,
            ("resolved_by", "Resolved By", "Resuelto por", "enum"),
            ("resolve_reason", "Resolve Reason", "Resolver motivo", "text"),
            ("resolve_comment", "Resolve Comment", "Resolver comentario", "text"),
            ("triggered_by", "Triggered By", "Desencadenador de", "enum"),
            *_RESOLVED_AGENT,
            *_CONVERSATION_FIGURES,
            ("csat_score", "CSAT Score", "Puntaje CSAT", "score"),
            ("csat_status", "CSAT Completed Status", "Estado de CSAT completado", "enum"),
            ("csat_question", "CSAT Follow-up Question", "Pregunta de seguimiento de CSAT", "text"),
            ("csat_answer", "CSAT Follow-up Response", "Respuesta de seguimiento de CSAT", "text"),
        ),
    ),
    ExportType(
        "open-conversation",
        _by_lang("Open Conversations", "Conversaciones abiertas"),
        _cols(
            *_CONVERSATION_HEAD,
            ("resolved_by", "Resolved By", "Resuelto por", "enum"),
            *_RESOLVED_AGENT,
            *_CONVERSATION_FIGURES,
        ),
        range_optional=True,
    ),
    ExportType(
        "message",
        _by_lang("Messages", "Mensajes"),
        _cols(
            ("message_id", "Message ID", "ID de mensaje", "id"),
            ("created_at", "Created at", "Creado en", "timestamp"),
            ("conversation_id", "Conversation ID", "ID de conversación", "id"),
            *_CHANNEL,
            ("contact_id", "Contact Profile ID", "ID de perfil de contacto", "id"),
            (
                "contact_primary_identifier",
                "Contact Primary Identifier",
                "Identificador principal de contacto",
                "text",
            ),
            (
                "contact_secondary_identifier",
                "Contact Secondary Identifier",
                "Contacto Identificador secundario",
                "text",
            ),
            ("message_type", "Message Type", "Tipo de mensaje", "text"),
            ("origin", "Origin", "Origen", "text"),
            ("outbound_type", "Outbound Message Type", "Tipo de mensaje saliente", "text"),
            ("direction", "Direction", "Dirección", "enum"),
            ("agent_id", "Agent ID", "ID de agente", "id"),
            ("agent_name", "Agent Name", "Nombre del agente", "text"),
            ("agent_reference", "Agent Reference", "Referencia del agente", "text"),
            ("team_id", "Team ID", "ID del equipo", "id"),
            ("team_name", "Team Name", "Nombre del equipo", "text"),
            ("tag_ids", "Tag IDs", "ID de etiqueta", "id"),
            ("tag_names", "Tag Names", "Nombres de etiquetas", "text"),
            ("content", "Content", "Contenido", "text"),
            ("conversation_url", "Conversation URL", "URL de conversación", "text"),
            ("post_url", "Post URL", "URL de publicación", "text"),
            ("last_updated", "Last Updated", "Última actualización", "timestamp"),
            ("deleted_at", "Deleted At", "Eliminado en", "timestamp"),
            ("system_user_type", "System User Type", "Tipo de usuario del sistema", "text"),
        ),
        has_content=True,
    ),
    ExportType(
        "team",
        _by_lang("Teams", "Equipos"),
        _cols(
            ("created_at", "Created at", "Creado en", "timestamp"),
            ("team_id", "Team ID", "ID del equipo", "id"),
            ("team_name", "Team Name", "Nombre del equipo", "text"),
            ("resolves_with_reply", "Resolves With Reply", "Resuelve con respuesta", "count"),
            ("resolves_without_reply", "Resolves Without Reply", "Resuelve sin respuesta", "count"),
            (
                "avg_first_response_time",
                "Average First Response Time",
                "Tiempo promedio de primera respuesta",
                "duration",
            ),
            ("avg_resolution_time", "Average Resolution Time", "Tiempo promedio de resolución", "duration"),
            ("handle_time", "Total Handle Time", "Tiempo total de manejo", "duration"),
            ("no_reply_time", "Total No Reply Time", "Tiempo total sin respuesta", "duration"),
            (
                "cherry_picking_time",
                "Total Cherry Picking Time",
                "Tiempo total de recolección de cerezas",
                "duration",
            ),
            ("avg_handle_time", "Average Handle Time", "Tiempo promedio de manejo", "duration"),
            ("contacts_helped", "Contacts Helped", "Contactos ayudados", "count"),
            *_CSAT_SCORES,
            ("tags_added", "Tags Added", "Etiquetas agregadas", "count"),
            ("topics_added", "Topics Added", "Temas añadidos", "count"),
            ("replies", "Replies", "Respuestas", "count"),
        ),
    ),
    ExportType(
        "contact",
        _by_lang("Contacts", "Contactos"),
        _cols(
            ("contact_id", "Contact Profile ID", "ID de perfil de contacto", "id"),
            ("medium", "Medium", "Mediano", "text"),
            ("primary_identifier", "Primary Identifier", "Identificador principal", "text"),
            ("secondary_identifier", "Secondary Identifier", "Identificador secundario", "text"),
            ("created_at", "Created at", "Creado en", "timestamp"),
            ("conversations", "Number of Conversations", "Número de conversaciones", "count"),
            ("inbound_messages", "Number of Inbound Messages", "Número de mensajes entrantes", "count"),
            ("outbound_messages", "Number of Outbound Messages", "Número de mensajes salientes", "count"),
            ("last_updated", "Last Updated", "Última actualización", "timestamp"),
        ),
    ),
    ExportType(
        "topic",
        _by_lang("Topics", "Temas"),
        _cols(
            ("topic_id", "Topic ID", "ID de tema", "id"),
            ("topic_name", "Topic Name", "Nombre del tema", "text"),
            ("active", "Active", "Activo", "bool"),
            ("total_conversations", "Total Conversations", "Conversaciones totales", "count"),
            (
                "current_conversations",
                "Total Current Conversations",
                "Conversaciones actuales totales",
                "count",
            ),
            *_CHANNEL,
        ),
    ),
    ExportType(
        "tag",
        _by_lang("Tags", "Etiquetas"),
        _cols(
            ("tag_id", "Tag ID", "ID de etiqueta", "id"),
            ("tag_name", "Tag Name", "Nombre de etiqueta", "text"),
            ("active", "Active", "Activo", "bool"),
            ("total_contacts", "Total Contacts", "Contactos totales", "count"),
            ("total_messages", "Total Messages", "Mensajes totales", "count"),
            ("current_messages", "Total Current Messages", "Mensajes actuales totales", "count"),
            *_CHANNEL,
        ),
    ),
    ExportType(
        "user-presence",
        _by_lang("User Presence", "Presencia de usuarios"),
        _cols(
            ("user_id", "User ID", "ID de usuario", "id"),
            ("user_name", "User Name", "Nombre de usuario", "text"),
            ("user_email", "User Email Address", "Dirección de correo del usuario", "text"),
            ("presence", "Type", "Tipo", "enum"),
            ("away_status", "Away Status", "Estado ausente", "text"),
            ("start", "From", "Desde", "timestamp"),
            ("end", "To", "Para", "timestamp"),
            ("duration", "Duration (s)", "Duración (s)", "duration"),
        ),
        uses_channels=False,
    ),
    ExportType(
        "user",
        _by_lang("Users (agent metrics)", "Usuarios (métricas de agentes)"),
        _cols(
            ("user_id", "User ID", "ID de usuario", "id"),
            ("user_name", "User Name", "Nombre de usuario", "text"),
            ("user_email", "User Email Address", "Dirección de correo del usuario", "text"),
            ("user_reference", "User Reference", "Referencia de usuario", "text"),
            ("available_time", "Available Time (s)", "Tiempo (s) disponible (s)", "duration"),
            ("away_time", "Away Time (s)", "Tiempo (s) fuera (s)", "duration"),
            ("contacts_helped", "Contacts Helped", "Contactos ayudados", "count"),
            ("avg_handle_time", "Avg. Handle Time (s)", "Prom. Tiempo (s) de manejo", "duration"),
            ("handle_time", "Handle Time (s)", "Tiempo (s) de manejo", "duration"),
            ("no_reply_time", "No Reply Time (s)", "Tiempo (s) sin respuesta", "duration"),
            (
                "cherry_picking_time",
                "Cherry Picking Time (s)",
                "Tiempo (s) de recolección de cerezas",
                "duration",
            ),
            ("replies", "Replies", "Respuestas", "count"),
            ("resolves_with_reply", "Resolves - With Reply", "Resuelve - Con respuesta", "count"),
            ("resolves_without_reply", "Resolves - No Reply", "Resuelve - No hay respuesta", "count"),
            ("tags_added", "Tags Added", "Etiquetas agregadas", "count"),
            ("topics_added", "Topics Added", "Temas añadidos", "count"),
            ("utilization", "Utilization (%)", "Utilización (%)", "percent"),
            *_CSAT_SCORES,
        ),
    ),
    ExportType(
        "response-times",
        _by_lang("Response Times", "Tiempos de respuesta"),
        _cols(
            ("conversation_id", "Conversation ID", "ID de conversación", "id"),
            ("medium", "Medium", "Mediano", "text"),
            ("channel_name", "Sender Channel", "Canal remitente", "text"),
            (
                "channel_display_name",
                "Sender Channel Display Name",
                "Nombre para mostrar del canal del remitente",
                "text",
            ),
            ("contact_id", "Contact Profile ID", "ID de perfil de contacto", "id"),
            ("started_by", "Started By", "Comenzado por", "text"),
            ("handover_reason", "Handover Reason", "Motivo de la entrega", "text"),
            ("queued_at", "From", "Desde", "timestamp"),
            ("replied_at", "To", "Para", "timestamp"),
            ("response_time", "Agent Response Time (s)", "Tiempo (s) de respuesta del agente", "duration"),
            ("user_id", "Response Agent ID", "ID de agente de respuesta", "id"),
            ("user_name", "Response Agent Name", "Nombre del agente de respuesta", "text"),
            ("user_reference", "Response Agent Reference", "Referencia del agente de respuesta", "text"),
            ("inbound_message_id", "Inbound Message ID", "ID de mensaje entrante", "id"),
            ("outbound_message_id", "Outbound Message ID", "ID de mensaje saliente", "id"),
            ("conversation_url", "Conversation URL", "URL de conversación", "text"),
        ),
    ),
    ExportType(
        "virtual-agent",
        _by_lang("Virtual Agents", "Agentes virtuales"),
        _cols(
            ("virtual_agent_id", "Agent ID", "ID de agente", "id"),
            ("virtual_agent_name", "Agent Name", "Nombre del agente", "text"),
            *_CHANNEL,
            ("total_conversations", "Total Conversations", "Conversaciones totales", "count"),
            ("handover_to_agent", "Handover to Agent", "Entrega al agente", "count"),
            ("handover_by_error", "Handover by Error", "Entrega por error", "count"),
            ("resolved", "Resolved", "Solucionado", "count"),
            (
                "conversations_with_topic",
                "Total Conversations with Topic",
                "Conversaciones totales con tema",
                "count",
            ),
            ("tagged_messages", "Total Tagged Messages", "Total de mensajes etiquetados", "count"),
            (
                "message_tags",
                "Total Message Tags",
                "El número total de mensajes que se han etiquetado",
                "count",
            ),
        ),
    ),
    ExportType(
        "contact-attribute",
        _by_lang("Contact Attributes", "Atributos de contacto"),
        _cols(
            ("contact_id", "Contact Profile ID", "ID de perfil de contacto", "id"),
            (
                "contact_primary_identifier",
                "Contact Primary Identifier",
                "Identificador principal de contacto",
                "text",
            ),
            (
                "contact_secondary_identifier",
                "Contact Secondary Identifier",
                "Identificador secundario de contacto",
                "text",
            ),
            ("attribute_id", "Attribute ID", "ID de atributo", "id"),
            ("attribute_name", "Attribute Name", "Nombre de atributo", "text"),
            ("attribute_value", "Attribute Value", "Valor de atributo", "text"),
            ("attribute_type", "Attribute Type", "Tipo de atributo", "text"),
        ),
    ),
)

# exports.md's "Sorted by" of each export, by column key.
_SORT_BY: dict[str, tuple[str, ...]] = {
    "resolved-conversation": ("first_resolution_at", "conversation_id"),
    "open-conversation": ("created_at", "conversation_id"),
    "message": ("created_at", "message_id"),
    "team": ("team_name", "team_id"),
    "contact": ("contact_id",),
    "topic": ("topic_name", "topic_id", "channel_name", "channel_id"),
    "tag": ("tag_name", "tag_id", "channel_name", "channel_id"),
    "user-presence": ("user_name", "user_id", "start"),
    "user": ("user_name", "user_id"),
    "response-times": ("replied_at", "conversation_id", "queued_at"),
    "virtual-agent": ("virtual_agent_name", "virtual_agent_id", "channel_name", "channel_id"),
    "contact-attribute": ("contact_id", "attribute_name", "attribute_id"),
}
EXPORTS = tuple(replace(e, sort_by=_SORT_BY[e.id]) for e in EXPORTS)

EXPORT_IDS: tuple[str, ...] = tuple(e.id for e in EXPORTS)
_BY_ID = {e.id: e for e in EXPORTS}


def export_type(type_id: str) -> ExportType:
    """The catalogue entry for an export id; KeyError for an unknown id."""
    return _BY_ID[type_id]
