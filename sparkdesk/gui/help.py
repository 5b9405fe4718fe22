"""What the window says about the twelve exports: a help paragraph for each, after the
platform's help article "Exportaciones de datos", a one-line description of its rows, and
what a column of each kind holds.

English is the source text; the Spanish translation (resources/i18n) follows the article.
The export types themselves are in ``sparkdesk.catalogue``.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication


def export_help(type_id: str) -> str:
    """A paragraph on what the export holds, in the window's language."""
    texts = {
        "resolved-conversation": QCoreApplication.translate(
            "ExportHelp",
            "All conversations resolved for the first time in the selected range, one row per "
            "conversation, with the data the conversation had at the time of the export.",
        ),
        "open-conversation": QCoreApplication.translate(
            "ExportHelp",
            "All conversations that are New or Pending at the time of the export, one row per "
            "conversation. The date range is optional: it keeps the conversations created in it.",
        ),
        "message": QCoreApplication.translate(
            "ExportHelp",
            "Every message created in the selected range, one row per message, with the data the "
            "message had at the time of the export.",
        ),
        "team": QCoreApplication.translate(
            "ExportHelp",
            "Team-level figures: only teams with at least one outbound message in the range are "
            "included, one row per team.",
        ),
        "contact": QCoreApplication.translate(
            "ExportHelp", "Every contact with at least one message in the selected range."
        ),
        "topic": QCoreApplication.translate(
            "ExportHelp", "Every topic applied at least once in the selected range, per channel."
        ),
        "tag": QCoreApplication.translate(
            "ExportHelp", "Every tag applied at least once in the selected range, per channel."
        ),
        "user-presence": QCoreApplication.translate(
            "ExportHelp",
            "Every Available or Away interval of the agents that overlaps the selected range. An "
            "interval that starts or ends outside the range is included whole. Channels do not apply.",
        ),
        "user": QCoreApplication.translate(
            "ExportHelp", "Metrics gathered per agent over the selected range."
        ),
        "response-times": QCoreApplication.translate(
            "ExportHelp",
            "Every reply for which an outbound agent message was created in the selected range, "
            "measured from the moment the conversation entered the queue.",
        ),
        "virtual-agent": QCoreApplication.translate(
            "ExportHelp", "Metrics gathered per virtual agent and channel over the selected range."
        ),
        "contact-attribute": QCoreApplication.translate(
            "ExportHelp",
            "Every stored contact attribute (filled in by agents or bots, or collected from a CRM) "
            "of the contacts who sent messages in the selected range.",
        ),
    }
    return texts.get(type_id, "")


def export_description(type_id: str) -> str:
    """One line on what a row of the export is, in the window's language (under the type box)."""
    texts = {
        "resolved-conversation": QCoreApplication.translate(
            "ExportDescription", "One row per conversation first resolved in the range."
        ),
        "open-conversation": QCoreApplication.translate(
            "ExportDescription", "One row per conversation that is New or Pending at the snapshot."
        ),
        "message": QCoreApplication.translate(
            "ExportDescription", "One row per message created in the range."
        ),
        "team": QCoreApplication.translate(
            "ExportDescription", "One row per team with a reply in the range."
        ),
        "contact": QCoreApplication.translate(
            "ExportDescription", "One row per contact with a message in the range."
        ),
        "topic": QCoreApplication.translate(
            "ExportDescription", "One row per topic and channel, for topics added in the range."
        ),
        "tag": QCoreApplication.translate(
            "ExportDescription", "One row per tag and channel, for tags added in the range."
        ),
        "user-presence": QCoreApplication.translate(
            "ExportDescription", "One row per Available or Away interval overlapping the range."
        ),
        "user": QCoreApplication.translate("ExportDescription", "One row per agent active in the range."),
        "response-times": QCoreApplication.translate(
            "ExportDescription", "One row per agent reply to a queue entry, reply in the range."
        ),
        "virtual-agent": QCoreApplication.translate(
            "ExportDescription", "One row per virtual agent and channel active in the range."
        ),
        "contact-attribute": QCoreApplication.translate(
            "ExportDescription", "One row per attribute of every contact who wrote in the range."
        ),
    }
    return texts.get(type_id, "")


def kind_help(kind: str) -> str:
    """What a column of the catalogue kind ``kind`` holds, in the window's language."""
    texts = {
        "id": QCoreApplication.translate("ColumnKind", "Identifier (text)"),
        "text": QCoreApplication.translate("ColumnKind", "Text"),
        "enum": QCoreApplication.translate("ColumnKind", "Value from a fixed list"),
        "timestamp": QCoreApplication.translate("ColumnKind", "Date and time in the chosen zone"),
        "duration": QCoreApplication.translate("ColumnKind", "Duration in seconds"),
        "count": QCoreApplication.translate("ColumnKind", "Count"),
        "score": QCoreApplication.translate("ColumnKind", "Score"),
        "percent": QCoreApplication.translate("ColumnKind", "Percentage"),
        "bool": QCoreApplication.translate("ColumnKind", "true or false"),
    }
    return texts.get(kind, "")
