<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="es">
<context>
    <name>AboutDialog</name>
    <message>
        <source>About SparkDesk</source>
        <translation>Acerca de SparkDesk</translation>
    </message>
    <message>
        <source>Sparkcentral&apos;s twelve data exports, built on the desktop from raw data dumps.</source>
        <translation>Las doce exportaciones de datos de Sparkcentral, creadas en el escritorio a partir de volcados de datos sin procesar.</translation>
    </message>
    <message>
        <source>Everything runs on this computer: no data leaves it.</source>
        <translation>Todo se ejecuta en este equipo: ningún dato sale de él.</translation>
    </message>
</context>
<context>
    <name>App</name>
    <message>
        <source>Something went wrong: %1. Your data is unchanged; the details are in the log.</source>
        <translation>Algo salió mal: %1. Sus datos no han cambiado; los detalles están en el registro.</translation>
    </message>
</context>
<context>
    <name>BusyIndicator</name>
    <message>
        <source>Cancel</source>
        <translation>Cancelar</translation>
    </message>
    <message>
        <source>Stop the work in progress (Esc)</source>
        <translation>Detener el trabajo en curso (Esc)</translation>
    </message>
</context>
<context>
    <name>ColumnKind</name>
    <message>
        <source>Identifier (text)</source>
        <translation>Identificador (texto)</translation>
    </message>
    <message>
        <source>Text</source>
        <translation>Texto</translation>
    </message>
    <message>
        <source>Value from a fixed list</source>
        <translation>Valor de una lista fija</translation>
    </message>
    <message>
        <source>Date and time in the chosen zone</source>
        <translation>Fecha y hora en la zona elegida</translation>
    </message>
    <message>
        <source>Duration in seconds</source>
        <translation>Duración en segundos</translation>
    </message>
    <message>
        <source>Count</source>
        <translation>Recuento</translation>
    </message>
    <message>
        <source>Score</source>
        <translation>Puntuación</translation>
    </message>
    <message>
        <source>Percentage</source>
        <translation>Porcentaje</translation>
    </message>
    <message>
        <source>true or false</source>
        <translation>true o false</translation>
    </message>
</context>
<context>
    <name>Dialogs</name>
    <message>
        <source>SparkDesk</source>
        <translation>SparkDesk</translation>
    </message>
</context>
<context>
    <name>DumpPanel</name>
    <message>
        <source>%1 — loading…</source>
        <translation>%1 — cargando…</translation>
    </message>
    <message>
        <source>Reading %1…</source>
        <translation>Leyendo %1…</translation>
    </message>
    <message>
        <source>%1 rows rejected, %2 warnings — View report</source>
        <translation>%1 filas rechazadas, %2 avisos — Ver informe</translation>
    </message>
    <message>
        <source>Open the import report: every rejected row with its reason</source>
        <translation>Abrir el informe de importación: cada fila rechazada con su motivo</translation>
    </message>
    <message>
        <source>no dated rows</source>
        <translation>ninguna fila con fecha</translation>
    </message>
    <message>
        <source>Organisation:</source>
        <translation>Organización:</translation>
    </message>
    <message>
        <source>Time span:</source>
        <translation>Periodo:</translation>
    </message>
    <message>
        <source>Snapshot:</source>
        <translation>Instantánea:</translation>
    </message>
    <message>
        <source>Channels:</source>
        <translation>Canales:</translation>
    </message>
    <message>
        <source>Rows per table:</source>
        <translation>Filas por tabla:</translation>
    </message>
    <message>
        <source>(not named)</source>
        <translation>(sin nombre)</translation>
    </message>
    <message>
        <source>&amp;Data</source>
        <translation>&amp;Datos</translation>
    </message>
    <message>
        <source>Drop dump folders, .zip files or table files anywhere on this window, or click Open.</source>
        <translation>Suelte carpetas de volcado, archivos .zip o archivos de tabla en cualquier parte de esta ventana, o pulse Abrir.</translation>
    </message>
    <message>
        <source>&amp;Open…</source>
        <translation>&amp;Abrir…</translation>
    </message>
    <message>
        <source>Open a dump: table files or a .zip (Ctrl+O)</source>
        <translation>Abrir un volcado: archivos de tabla o un .zip (Ctrl+O)</translation>
    </message>
    <message>
        <source>&amp;Remove</source>
        <translation>&amp;Quitar</translation>
    </message>
    <message>
        <source>Remove the selected dump</source>
        <translation>Quitar el volcado seleccionado</translation>
    </message>
</context>
<context>
    <name>ExportDescription</name>
    <message>
        <source>One row per conversation first resolved in the range.</source>
        <translation>Una fila por conversación resuelta por primera vez en el período.</translation>
    </message>
    <message>
        <source>One row per conversation that is New or Pending at the snapshot.</source>
        <translation>Una fila por conversación nueva o pendiente en el momento de la exportación.</translation>
    </message>
    <message>
        <source>One row per message created in the range.</source>
        <translation>Una fila por mensaje creado en el período.</translation>
    </message>
    <message>
        <source>One row per team with a reply in the range.</source>
        <translation>Una fila por equipo con alguna respuesta en el período.</translation>
    </message>
    <message>
        <source>One row per contact with a message in the range.</source>
        <translation>Una fila por contacto con algún mensaje en el período.</translation>
    </message>
    <message>
        <source>One row per topic and channel, for topics added in the range.</source>
        <translation>Una fila por tema y canal, para los temas añadidos en el período.</translation>
    </message>
    <message>
        <source>One row per tag and channel, for tags added in the range.</source>
        <translation>Una fila por etiqueta y canal, para las etiquetas añadidas en el período.</translation>
    </message>
    <message>
        <source>One row per Available or Away interval overlapping the range.</source>
        <translation>Una fila por intervalo Disponible o Ausente que se solapa con el período.</translation>
    </message>
    <message>
        <source>One row per agent active in the range.</source>
        <translation>Una fila por agente activo en el período.</translation>
    </message>
    <message>
        <source>One row per agent reply to a queue entry, reply in the range.</source>
        <translation>Una fila por respuesta de agente a una entrada en la cola, respuesta en el período.</translation>
    </message>
    <message>
        <source>One row per virtual agent and channel active in the range.</source>
        <translation>Una fila por agente virtual y canal con actividad en el período.</translation>
    </message>
    <message>
        <source>One row per attribute of every contact who wrote in the range.</source>
        <translation>Una fila por atributo de cada contacto que escribió en el período.</translation>
    </message>
</context>
<context>
    <name>ExportHelp</name>
    <message>
        <source>All conversations resolved for the first time in the selected range, one row per conversation, with the data the conversation had at the time of the export.</source>
        <translation>Esta exportación contiene todas las conversaciones que se resuelven por primera vez en el intervalo de tiempo seleccionado. Incluye una fila por conversación, con los datos que estaban disponibles para la conversación en el momento de la exportación.</translation>
    </message>
    <message>
        <source>All conversations that are New or Pending at the time of the export, one row per conversation. The date range is optional: it keeps the conversations created in it.</source>
        <translation>Esta exportación contiene todas las conversaciones con el estado Nuevo o Pendiente en el momento de la exportación, una fila por conversación. El intervalo de fechas es opcional: conserva las conversaciones creadas en él.</translation>
    </message>
    <message>
        <source>Every message created in the selected range, one row per message, with the data the message had at the time of the export.</source>
        <translation>Esta exportación contiene todos los mensajes únicos creados en el intervalo de tiempo seleccionado. Incluye una fila por mensaje, con los datos que estaban disponibles para ese mensaje en el momento de la exportación.</translation>
    </message>
    <message>
        <source>Team-level figures: only teams with at least one outbound message in the range are included, one row per team.</source>
        <translation>Esta exportación contiene datos a nivel de equipo. Solo se incluyen los equipos que tienen al menos un mensaje saliente en el intervalo, una fila por equipo.</translation>
    </message>
    <message>
        <source>Every contact with at least one message in the selected range.</source>
        <translation>Esta exportación contiene todos los contactos que tienen al menos un mensaje en el intervalo de tiempo seleccionado.</translation>
    </message>
    <message>
        <source>Every topic applied at least once in the selected range, per channel.</source>
        <translation>Esta exportación contiene todos los temas que tienen al menos una aplicación en el intervalo de tiempo seleccionado, por canal.</translation>
    </message>
    <message>
        <source>Every tag applied at least once in the selected range, per channel.</source>
        <translation>Esta exportación contiene todas las etiquetas que tienen al menos una aplicación en el intervalo de tiempo seleccionado, por canal.</translation>
    </message>
    <message>
        <source>Every Available or Away interval of the agents that overlaps the selected range. An interval that starts or ends outside the range is included whole. Channels do not apply.</source>
        <translation>Esta exportación contiene todos los intervalos Disponible o Ausente de los agentes que se solapan con el intervalo de tiempo seleccionado. Si un intervalo comienza o termina fuera del marco temporal seleccionado, se incluye entero. Los canales no se aplican.</translation>
    </message>
    <message>
        <source>Metrics gathered per agent over the selected range.</source>
        <translation>Esta exportación contiene las métricas recopiladas por agente para un intervalo de tiempo seleccionado.</translation>
    </message>
    <message>
        <source>Every reply for which an outbound agent message was created in the selected range, measured from the moment the conversation entered the queue.</source>
        <translation>Esta exportación contiene todas las respuestas para las que se creó un mensaje saliente en el intervalo de tiempo seleccionado, medidas desde el momento en que la conversación entró en la cola.</translation>
    </message>
    <message>
        <source>Metrics gathered per virtual agent and channel over the selected range.</source>
        <translation>Esta exportación contiene las métricas recopiladas por agente virtual y canal para un intervalo de tiempo seleccionado.</translation>
    </message>
    <message>
        <source>Every stored contact attribute (filled in by agents or bots, or collected from a CRM) of the contacts who sent messages in the selected range.</source>
        <translation>Esta exportación contiene todos los atributos de contacto almacenados que los agentes o bots completaron manualmente o que se recopilaron de un CRM. Se incluyen todos los contactos que enviaron mensajes en el intervalo de tiempo seleccionado.</translation>
    </message>
</context>
<context>
    <name>JobTexts</name>
    <message>
        <source>Monday</source>
        <translation>lunes</translation>
    </message>
    <message>
        <source>Tuesday</source>
        <translation>martes</translation>
    </message>
    <message>
        <source>Wednesday</source>
        <translation>miércoles</translation>
    </message>
    <message>
        <source>Thursday</source>
        <translation>jueves</translation>
    </message>
    <message>
        <source>Friday</source>
        <translation>viernes</translation>
    </message>
    <message>
        <source>Saturday</source>
        <translation>sábado</translation>
    </message>
    <message>
        <source>Sunday</source>
        <translation>domingo</translation>
    </message>
    <message>
        <source>Yesterday</source>
        <translation>Ayer</translation>
    </message>
    <message>
        <source>Today</source>
        <translation>Hoy</translation>
    </message>
    <message>
        <source>The last 7 days</source>
        <translation>Los últimos 7 días</translation>
    </message>
    <message>
        <source>The last 30 days</source>
        <translation>Los últimos 30 días</translation>
    </message>
    <message>
        <source>Last week</source>
        <translation>La semana pasada</translation>
    </message>
    <message>
        <source>This week</source>
        <translation>Esta semana</translation>
    </message>
    <message>
        <source>Last month</source>
        <translation>El mes pasado</translation>
    </message>
    <message>
        <source>Month to date</source>
        <translation>Lo que va de mes</translation>
    </message>
    <message>
        <source>Since the last run</source>
        <translation>Desde la última ejecución</translation>
    </message>
    <message>
        <source>scheduled (unreadable)</source>
        <translation>programada (ilegible)</translation>
    </message>
    <message>
        <source>every hour at :%1</source>
        <translation>cada hora en el minuto %1</translation>
    </message>
    <message>
        <source>every day at %1</source>
        <translation>cada día a las %1</translation>
    </message>
    <message>
        <source>every %1 at %2</source>
        <translation>cada %1 a las %2</translation>
    </message>
</context>
<context>
    <name>JobsDialog</name>
    <message>
        <source>Jobs</source>
        <translation>Tareas</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Nombre</translation>
    </message>
    <message>
        <source>Range</source>
        <translation>Período</translation>
    </message>
    <message>
        <source>Exports</source>
        <translation>Exportaciones</translation>
    </message>
    <message>
        <source>Schedule</source>
        <translation>Programación</translation>
    </message>
    <message>
        <source>Last run</source>
        <translation>Última ejecución</translation>
    </message>
    <message>
        <source>&amp;Run Now</source>
        <translation>&amp;Ejecutar ahora</translation>
    </message>
    <message>
        <source>&amp;Schedule…</source>
        <translation>&amp;Programar…</translation>
    </message>
    <message>
        <source>Re&amp;move Schedule</source>
        <translation>&amp;Quitar la programación</translation>
    </message>
    <message>
        <source>Open &amp;Folder</source>
        <translation>Abrir &amp;carpeta</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Cancelar</translation>
    </message>
    <message>
        <source>No job yet. Choose an export in the window, then File ▸ Save as Job….</source>
        <translation>Todavía no hay tareas. Elija una exportación en la ventana y luego Archivo ▸ Guardar como tarea….</translation>
    </message>
    <message>
        <source>Job files in %1</source>
        <translation>Archivos de tarea en %1</translation>
    </message>
    <message>
        <source>not scheduled</source>
        <translation>sin programar</translation>
    </message>
    <message>
        <source>cannot be read: %1</source>
        <translation>no se puede leer: %1</translation>
    </message>
    <message>
        <source>All twelve exports</source>
        <translation>Las doce exportaciones</translation>
    </message>
    <message>
        <source>never run</source>
        <translation>nunca ejecutada</translation>
    </message>
    <message>
        <source>ok, %1</source>
        <translation>correcta, %1</translation>
    </message>
    <message>
        <source>failed, %1: %2</source>
        <translation>fallida, %1: %2</translation>
    </message>
    <message>
        <source>The run was cancelled.</source>
        <translation>Se canceló la ejecución.</translation>
    </message>
    <message>
        <source>Running the job %1…</source>
        <translation>Ejecutando la tarea %1…</translation>
    </message>
    <message>
        <source>Running %1…</source>
        <translation>Ejecutando %1…</translation>
    </message>
    <message>
        <source>Done: %1 file(s) written in %2.</source>
        <translation>Hecho: %1 archivo(s) escritos en %2.</translation>
    </message>
    <message>
        <source>The run failed: %1</source>
        <translation>La ejecución falló: %1</translation>
    </message>
    <message>
        <source>Scheduling…</source>
        <translation>Programando…</translation>
    </message>
    <message>
        <source>Scheduled: %1.</source>
        <translation>Programada: %1.</translation>
    </message>
    <message>
        <source>The scheduler cannot be reached now: the schedule is written, and starts at your next login.</source>
        <translation>No se puede contactar ahora con el programador: la programación está escrita y empezará en su próximo inicio de sesión.</translation>
    </message>
    <message>
        <source>Removing the schedule…</source>
        <translation>Quitando la programación…</translation>
    </message>
    <message>
        <source>The schedule was removed.</source>
        <translation>Se quitó la programación.</translation>
    </message>
</context>
<context>
    <name>JobsUi</name>
    <message>
        <source>Open a dump first: a job names the dumps it reads.</source>
        <translation>Abra primero un volcado: una tarea nombra los volcados que lee.</translation>
    </message>
    <message>
        <source>Saved the job %1</source>
        <translation>Tarea guardada en %1</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>%1 — SparkDesk</source>
        <translation>%1 — SparkDesk</translation>
    </message>
    <message>
        <source>Open dump files</source>
        <translation>Abrir archivos de volcado</translation>
    </message>
    <message>
        <source>Dumps and tables (*.zip *.csv *.csv.gz *.jsonl *.jsonl.gz *.ndjson *.parquet *.json);;All files (*)</source>
        <translation>Volcados y tablas (*.zip *.csv *.csv.gz *.jsonl *.jsonl.gz *.ndjson *.parquet *.json);;Todos los archivos (*)</translation>
    </message>
    <message>
        <source>Open dump folder</source>
        <translation>Abrir carpeta de volcado</translation>
    </message>
    <message>
        <source>This build has no demo dump.</source>
        <translation>Esta versión no incluye el volcado de demostración.</translation>
    </message>
    <message>
        <source>You are looking at the bundled demo dump (synthetic data). Drop your own dump anywhere on the window, or use File ▸ Open (Ctrl+O).</source>
        <translation>Está viendo el volcado de demostración incluido (datos sintéticos). Suelte su propio volcado en cualquier parte de la ventana, o use Archivo ▸ Abrir (Ctrl+O).</translation>
    </message>
    <message>
        <source>Reading %1…</source>
        <translation>Leyendo %1…</translation>
    </message>
    <message>
        <source>Could not read %1: %2</source>
        <translation>No se pudo leer %1: %2</translation>
    </message>
    <message>
        <source>Combining %1 dumps…</source>
        <translation>Combinando %1 volcados…</translation>
    </message>
    <message>
        <source>These dumps cannot be combined: %1</source>
        <translation>Estos volcados no se pueden combinar: %1</translation>
    </message>
    <message>
        <source>Checking the lock sessions of %1…</source>
        <translation>Comprobando las sesiones de bloqueo de %1…</translation>
    </message>
    <message>
        <source>Save import report</source>
        <translation>Guardar el informe de importación</translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation>Archivos CSV (*.csv)</translation>
    </message>
    <message>
        <source>Deleting saved copies…</source>
        <translation>Eliminando las copias guardadas…</translation>
    </message>
    <message>
        <source>Could not delete the saved copies: %1</source>
        <translation>No se pudieron eliminar las copias guardadas: %1</translation>
    </message>
    <message>
        <source>Deleted the saved copies of dumps (%1).</source>
        <translation>Se eliminaron las copias guardadas de los volcados (%1).</translation>
    </message>
    <message>
        <source>Saving the import report…</source>
        <translation>Guardando el informe de importación…</translation>
    </message>
    <message>
        <source>Load a dump first: drop it on the window or use File ▸ Open.</source>
        <translation>Cargue primero un volcado: suéltelo en la ventana o use Archivo ▸ Abrir.</translation>
    </message>
    <message>
        <source>Computing %1…</source>
        <translation>Calculando %1…</translation>
    </message>
    <message>
        <source>The export could not be computed: %1</source>
        <translation>No se pudo calcular la exportación: %1</translation>
    </message>
    <message>
        <source>This result is too large for memory to sort or filter here; save it and open it in a spreadsheet or database.</source>
        <translation>Este resultado es demasiado grande para la memoria y no se puede ordenar ni filtrar aquí; guárdelo y ábralo en una hoja de cálculo o una base de datos.</translation>
    </message>
    <message>
        <source>Preview</source>
        <translation>Vista previa</translation>
    </message>
    <message>
        <source>Generation cancelled.</source>
        <translation>Generación cancelada.</translation>
    </message>
    <message>
        <source>Ready.</source>
        <translation>Listo.</translation>
    </message>
    <message>
        <source>Drop a dump to begin.</source>
        <translation>Suelte un volcado para empezar.</translation>
    </message>
    <message>
        <source>all open conversations</source>
        <translation>todas las conversaciones abiertas</translation>
    </message>
    <message>
        <source>%1 of %2 rows</source>
        <translation>%1 de %2 filas</translation>
    </message>
    <message>
        <source>%1 rows</source>
        <translation>%1 filas</translation>
    </message>
    <message>
        <source>%1 × %2 columns · computed in %3 s</source>
        <translation>%1 × %2 columnas · calculado en %3 s</translation>
    </message>
    <message>
        <source>Sorting…</source>
        <translation>Ordenando…</translation>
    </message>
    <message>
        <source>Filtering…</source>
        <translation>Filtrando…</translation>
    </message>
    <message>
        <source>Copied %1 cells.</source>
        <translation>Se copiaron %1 celdas.</translation>
    </message>
    <message>
        <source>Generate an export first (Ctrl+E).</source>
        <translation>Genere primero una exportación (Ctrl+E).</translation>
    </message>
    <message>
        <source>CSV file (*.csv)</source>
        <translation>Archivo CSV (*.csv)</translation>
    </message>
    <message>
        <source>Excel workbook (*.xlsx)</source>
        <translation>Libro de Excel (*.xlsx)</translation>
    </message>
    <message>
        <source>Save export</source>
        <translation>Guardar exportación</translation>
    </message>
    <message>
        <source>Saving %1…</source>
        <translation>Guardando %1…</translation>
    </message>
    <message>
        <source>Export all</source>
        <translation>Exportar todo</translation>
    </message>
    <message>
        <source>Write all twelve exports with the current choices:</source>
        <translation>Escribir las doce exportaciones con las opciones actuales:</translation>
    </message>
    <message>
        <source>One CSV file each, in a &amp;folder…</source>
        <translation>Un archivo CSV por exportación, en una &amp;carpeta…</translation>
    </message>
    <message>
        <source>One &amp;workbook, a sheet each…</source>
        <translation>Un &amp;libro, con una hoja por exportación…</translation>
    </message>
    <message>
        <source>Folder for the exports</source>
        <translation>Carpeta para las exportaciones</translation>
    </message>
    <message>
        <source>Save all exports</source>
        <translation>Guardar todas las exportaciones</translation>
    </message>
    <message>
        <source>Writing all twelve exports…</source>
        <translation>Escribiendo las doce exportaciones…</translation>
    </message>
    <message>
        <source>Saved %1</source>
        <translation>Guardado %1</translation>
    </message>
    <message>
        <source>Open &amp;Folder</source>
        <translation>Abrir &amp;carpeta</translation>
    </message>
    <message>
        <source>Could not save %1: %2</source>
        <translation>No se pudo guardar %1: %2</translation>
    </message>
    <message>
        <source>The memory limit is too small for this dump: use at least %1.</source>
        <translation>El límite de memoria es demasiado pequeño para este volcado: use al menos %1.</translation>
    </message>
    <message>
        <source>A memory limit of %1 is too small for this dump: use at least %2.</source>
        <translation>Un límite de memoria de %1 es demasiado pequeño para este volcado: use al menos %2.</translation>
    </message>
    <message>
        <source>&amp;Preferences…</source>
        <translation>&amp;Preferencias…</translation>
    </message>
</context>
<context>
    <name>Menus</name>
    <message>
        <source>&amp;File</source>
        <translation>&amp;Archivo</translation>
    </message>
    <message>
        <source>Open &amp;Recent</source>
        <translation>Abrir &amp;reciente</translation>
    </message>
    <message>
        <source>&amp;Open Dump Files…</source>
        <translation>&amp;Abrir archivos de volcado…</translation>
    </message>
    <message>
        <source>Open table files or a .zip dump (Ctrl+O)</source>
        <translation>Abrir archivos de tabla o un volcado .zip (Ctrl+O)</translation>
    </message>
    <message>
        <source>Open Dump &amp;Folder…</source>
        <translation>Abrir &amp;carpeta de volcado…</translation>
    </message>
    <message>
        <source>Open the &amp;Demo Dump</source>
        <translation>Abrir el volcado de &amp;demostración</translation>
    </message>
    <message>
        <source>&amp;Save Export…</source>
        <translation>&amp;Guardar exportación…</translation>
    </message>
    <message>
        <source>Export &amp;All…</source>
        <translation>Exportar &amp;todo…</translation>
    </message>
    <message>
        <source>Save as &amp;Job…</source>
        <translation>Guardar co&amp;mo tarea…</translation>
    </message>
    <message>
        <source>Save these choices as a job that runs again, now or on time</source>
        <translation>Guardar estas opciones como una tarea que se vuelve a ejecutar, ahora o a su hora</translation>
    </message>
    <message>
        <source>Jo&amp;bs…</source>
        <translation>Tar&amp;eas…</translation>
    </message>
    <message>
        <source>&amp;View Import Report…</source>
        <translation>&amp;Ver el informe de importación…</translation>
    </message>
    <message>
        <source>Save Import Re&amp;port…</source>
        <translation>Guardar el &amp;informe de importación…</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>&amp;Salir</translation>
    </message>
    <message>
        <source>&amp;Keep Copies of Imported Dumps</source>
        <translation>Guardar co&amp;pias de los volcados importados</translation>
    </message>
    <message>
        <source>Save each imported dump in your cache folder, so that opening it again takes a second</source>
        <translation>Guarda cada volcado importado en su carpeta de caché, para que volver a abrirlo tarde un segundo</translation>
    </message>
    <message>
        <source>De&amp;lete Saved Copies</source>
        <translation>E&amp;liminar las copias guardadas</translation>
    </message>
    <message>
        <source>Delete the copies of imported dumps kept in your cache folder</source>
        <translation>Elimina las copias de los volcados importados guardadas en su carpeta de caché</translation>
    </message>
    <message>
        <source>(none)</source>
        <translation>(ninguno)</translation>
    </message>
    <message>
        <source>Clear list</source>
        <translation>Vaciar la lista</translation>
    </message>
    <message>
        <source>E&amp;xport</source>
        <translation>E&amp;xportar</translation>
    </message>
    <message>
        <source>&amp;Generate</source>
        <translation>&amp;Generar</translation>
    </message>
    <message>
        <source>&amp;Cancel</source>
        <translation>&amp;Cancelar</translation>
    </message>
    <message>
        <source>&amp;Edit</source>
        <translation>&amp;Editar</translation>
    </message>
    <message>
        <source>&amp;Copy</source>
        <translation>&amp;Copiar</translation>
    </message>
    <message>
        <source>Select &amp;All</source>
        <translation>Seleccionar &amp;todo</translation>
    </message>
    <message>
        <source>&amp;Filter Rows</source>
        <translation>&amp;Filtrar filas</translation>
    </message>
    <message>
        <source>&amp;Preferences…</source>
        <translation>&amp;Preferencias…</translation>
    </message>
    <message>
        <source>The memory an export may hold</source>
        <translation>La memoria que puede ocupar una exportación</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>&amp;Ver</translation>
    </message>
    <message>
        <source>&amp;Language</source>
        <translation>&amp;Idioma</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>Ay&amp;uda</translation>
    </message>
    <message>
        <source>&amp;About SparkDesk</source>
        <translation>&amp;Acerca de SparkDesk</translation>
    </message>
    <message>
        <source>About &amp;Qt</source>
        <translation>Acerca de &amp;Qt</translation>
    </message>
</context>
<context>
    <name>MessageBar</name>
    <message>
        <source>Close this note</source>
        <translation>Cerrar este aviso</translation>
    </message>
</context>
<context>
    <name>OptionsPanel</name>
    <message>
        <source>The date range is optional for this export: without it, every open conversation.</source>
        <translation>El intervalo de fechas es opcional en esta exportación: sin él, todas las conversaciones abiertas.</translation>
    </message>
    <message>
        <source>This export ignores channels: presence is per agent.</source>
        <translation>Esta exportación no tiene en cuenta los canales: la presencia es por agente.</translation>
    </message>
    <message>
        <source>Only the Messages export has message content.</source>
        <translation>Solo la exportación de Mensajes tiene contenido de mensajes.</translation>
    </message>
    <message>
        <source>Leave unchecked to export messages without their content.</source>
        <translation>Desmárquelo para exportar los mensajes sin su contenido.</translation>
    </message>
    <message>
        <source>(no medium)</source>
        <translation>(sin medio)</translation>
    </message>
    <message>
        <source>%1 of %2 checked</source>
        <translation>%1 de %2 marcados</translation>
    </message>
    <message>
        <source>&amp;Export</source>
        <translation>&amp;Exportación</translation>
    </message>
    <message>
        <source>Filters</source>
        <translation>Filtros</translation>
    </message>
    <message>
        <source>Time &amp;zone:</source>
        <translation>&amp;Zona horaria:</translation>
    </message>
    <message>
        <source>IANA time zone: days and times are read and written in it. Type to search.</source>
        <translation>Zona horaria IANA: los días y las horas se leen y se escriben en ella. Escriba para buscar.</translation>
    </message>
    <message>
        <source>Unknown time zone: choose one from the list.</source>
        <translation>Zona horaria desconocida: elija una de la lista.</translation>
    </message>
    <message>
        <source>Only conversations &amp;created in these days</source>
        <translation>Solo las conversaciones &amp;creadas en estos días</translation>
    </message>
    <message>
        <source>&amp;Range:</source>
        <translation>&amp;Intervalo:</translation>
    </message>
    <message>
        <source>All data</source>
        <translation>Todos los datos</translation>
    </message>
    <message>
        <source>Today</source>
        <translation>Hoy</translation>
    </message>
    <message>
        <source>Yesterday</source>
        <translation>Ayer</translation>
    </message>
    <message>
        <source>Last 7 days</source>
        <translation>Últimos 7 días</translation>
    </message>
    <message>
        <source>Last 30 days</source>
        <translation>Últimos 30 días</translation>
    </message>
    <message>
        <source>This month</source>
        <translation>Este mes</translation>
    </message>
    <message>
        <source>Last month</source>
        <translation>Mes pasado</translation>
    </message>
    <message>
        <source>Custom</source>
        <translation>Personalizado</translation>
    </message>
    <message>
        <source>Presets count back from the dump&apos;s snapshot day and stay within the data&apos;s span.</source>
        <translation>Los intervalos predefinidos cuentan hacia atrás desde el día de la instantánea del volcado y no salen del periodo de los datos.</translation>
    </message>
    <message>
        <source>&amp;From:</source>
        <translation>&amp;Desde:</translation>
    </message>
    <message>
        <source>to</source>
        <translation>hasta</translation>
    </message>
    <message>
        <source>First day of the range, inclusive</source>
        <translation>Primer día del intervalo, incluido</translation>
    </message>
    <message>
        <source>Last day of the range, inclusive</source>
        <translation>Último día del intervalo, incluido</translation>
    </message>
    <message>
        <source>Channels:</source>
        <translation>Canales:</translation>
    </message>
    <message>
        <source>Search channels</source>
        <translation>Buscar canales</translation>
    </message>
    <message>
        <source>Only conversations of the checked channels are counted</source>
        <translation>Solo se cuentan las conversaciones de los canales marcados</translation>
    </message>
    <message>
        <source>&amp;All</source>
        <translation>&amp;Todos</translation>
    </message>
    <message>
        <source>Check every channel</source>
        <translation>Marcar todos los canales</translation>
    </message>
    <message>
        <source>&amp;None</source>
        <translation>&amp;Ninguno</translation>
    </message>
    <message>
        <source>Uncheck every channel</source>
        <translation>Desmarcar todos los canales</translation>
    </message>
    <message>
        <source>File</source>
        <translation>Archivo</translation>
    </message>
    <message>
        <source>&amp;Headers:</source>
        <translation>&amp;Encabezados:</translation>
    </message>
    <message>
        <source>Language of the column headers in the file</source>
        <translation>Idioma de los encabezados de columna del archivo</translation>
    </message>
    <message>
        <source>&amp;Timestamps:</source>
        <translation>&amp;Marcas de tiempo:</translation>
    </message>
    <message>
        <source>Local time (2025-03-10 14:05:09)</source>
        <translation>Hora local (2025-03-10 14:05:09)</translation>
    </message>
    <message>
        <source>ISO 8601 with offset</source>
        <translation>ISO 8601 con desfase horario</translation>
    </message>
    <message>
        <source>Include message &amp;content</source>
        <translation>Incluir el &amp;contenido de los mensajes</translation>
    </message>
    <message>
        <source>&amp;Byte-order mark (BOM)</source>
        <translation>Marca de orden de &amp;bytes (BOM)</translation>
    </message>
    <message>
        <source>Start CSV files with a UTF-8 byte-order mark, which helps Excel read them</source>
        <translation>Empezar los archivos CSV con una marca de orden de bytes UTF-8, que ayuda a Excel a leerlos</translation>
    </message>
    <message>
        <source>Formula &amp;guard</source>
        <translation>&amp;Protección de fórmulas</translation>
    </message>
    <message>
        <source>Protects spreadsheet users: a text cell that starts with = + - @ (like a formula) gets a leading quote in CSV files</source>
        <translation>Protege a quien use una hoja de cálculo: en los archivos CSV, una celda de texto que empieza por = + - @ (como una fórmula) recibe un apóstrofo delante</translation>
    </message>
    <message>
        <source>&amp;Generate</source>
        <translation>&amp;Generar</translation>
    </message>
    <message>
        <source>Choose a time zone from the list.</source>
        <translation>Elija una zona horaria de la lista.</translation>
    </message>
    <message>
        <source>The first day of the range is after the last day.</source>
        <translation>El primer día del intervalo es posterior al último.</translation>
    </message>
    <message>
        <source>Check at least one channel.</source>
        <translation>Marque al menos un canal.</translation>
    </message>
    <message>
        <source>Generating…</source>
        <translation>Generando…</translation>
    </message>
    <message>
        <source>Compute the export (Ctrl+E)</source>
        <translation>Calcular la exportación (Ctrl+E)</translation>
    </message>
</context>
<context>
    <name>PreferencesDialog</name>
    <message>
        <source>Preferences</source>
        <translation>Preferencias</translation>
    </message>
    <message>
        <source>Memory</source>
        <translation>Memoria</translation>
    </message>
    <message>
        <source>&amp;Automatic: half of this computer&apos;s memory (%1)</source>
        <translation>&amp;Automático: la mitad de la memoria de este equipo (%1)</translation>
    </message>
    <message>
        <source>&amp;Limit:</source>
        <translation>&amp;Límite:</translation>
    </message>
    <message>
        <source>The most memory an export may hold</source>
        <translation>La memoria máxima que puede ocupar una exportación</translation>
    </message>
    <message>
        <source>The most memory SparkDesk may hold to compute an export. A dump that does not fit is processed in parts, with the same result.</source>
        <translation>La memoria máxima que SparkDesk puede ocupar para calcular una exportación. Un volcado que no cabe se procesa por partes, con el mismo resultado.</translation>
    </message>
    <message>
        <source>For this session, the command line set the limit to %1.</source>
        <translation>Para esta sesión, la línea de comandos fijó el límite en %1.</translation>
    </message>
</context>
<context>
    <name>PreviewPanel</name>
    <message>
        <source>Copy</source>
        <translation>Copiar</translation>
    </message>
    <message>
        <source>Copy %1 cells to the clipboard? This may take a while.</source>
        <translation>¿Copiar %1 celdas al portapapeles? Puede tardar un poco.</translation>
    </message>
    <message>
        <source>Filter rows (Ctrl+F)</source>
        <translation>Filtrar filas (Ctrl+F)</translation>
    </message>
    <message>
        <source>Keep the rows where any cell contains this text (ignoring case)</source>
        <translation>Conservar las filas en las que alguna celda contiene este texto (sin distinguir mayúsculas)</translation>
    </message>
    <message>
        <source>Drop a dump here, choose an export and press Generate (Ctrl+E).
The result appears in this grid: click a header to sort, type above to filter, and save it with Ctrl+S.</source>
        <translation>Suelte aquí un volcado, elija una exportación y pulse Generar (Ctrl+E).
El resultado aparece en esta cuadrícula: pulse un encabezado para ordenar, escriba arriba para filtrar y guárdelo con Ctrl+S.</translation>
    </message>
</context>
<context>
    <name>ReportDialog</name>
    <message>
        <source>UNLOCKED with no open session of that agent on that conversation (ignored)</source>
        <translation>UNLOCKED sin una sesión abierta de ese agente en esa conversación (se ignora)</translation>
    </message>
    <message>
        <source>LOCKED session still open at the snapshot (closed there)</source>
        <translation>Sesión LOCKED aún abierta en la instantánea (se cierra allí)</translation>
    </message>
    <message>
        <source>Table</source>
        <translation>Tabla</translation>
    </message>
    <message>
        <source>File</source>
        <translation>Archivo</translation>
    </message>
    <message>
        <source>Line</source>
        <translation>Línea</translation>
    </message>
    <message>
        <source>Column</source>
        <translation>Columna</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>Motivo</translation>
    </message>
    <message>
        <source>Row as read</source>
        <translation>Fila tal como se leyó</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>Tipo</translation>
    </message>
    <message>
        <source>Count</source>
        <translation>Recuento</translation>
    </message>
    <message>
        <source>Import report — %1</source>
        <translation>Informe de importación — %1</translation>
    </message>
    <message>
        <source>%1 rows rejected and %2 warnings while reading %3. Rejected rows are left out of every export.</source>
        <translation>%1 filas rechazadas y %2 avisos al leer %3. Las filas rechazadas quedan fuera de todas las exportaciones.</translation>
    </message>
    <message>
        <source>Checking the lock sessions…</source>
        <translation>Comprobando las sesiones de bloqueo…</translation>
    </message>
    <message>
        <source>The lock sessions were not checked.</source>
        <translation>Las sesiones de bloqueo no se han comprobado.</translation>
    </message>
    <message>
        <source>The lock sessions add %1 warnings (in the summary).</source>
        <translation>Las sesiones de bloqueo añaden %1 avisos (en el resumen).</translation>
    </message>
    <message>
        <source>Summary</source>
        <translation>Resumen</translation>
    </message>
    <message>
        <source>Rejected rows (%1)</source>
        <translation>Filas rechazadas (%1)</translation>
    </message>
    <message>
        <source>Warnings (%1)</source>
        <translation>Avisos (%1)</translation>
    </message>
    <message>
        <source>&amp;Save report…</source>
        <translation>&amp;Guardar informe…</translation>
    </message>
    <message>
        <source>Save every rejected row with its reason as a CSV file</source>
        <translation>Guardar cada fila rechazada con su motivo en un archivo CSV</translation>
    </message>
</context>
<context>
    <name>SaveJobDialog</name>
    <message>
        <source>Save as Job</source>
        <translation>Guardar como tarea</translation>
    </message>
    <message>
        <source>&amp;Name:</source>
        <translation>&amp;Nombre:</translation>
    </message>
    <message>
        <source>Exports:</source>
        <translation>Exportaciones:</translation>
    </message>
    <message>
        <source>&amp;Range:</source>
        <translation>&amp;Período:</translation>
    </message>
    <message>
        <source>&amp;Weeks start on:</source>
        <translation>La &amp;semana empieza el:</translation>
    </message>
    <message>
        <source>&amp;Format:</source>
        <translation>&amp;Formato:</translation>
    </message>
    <message>
        <source>Save files &amp;in:</source>
        <translation>Guardar los archivos &amp;en:</translation>
    </message>
    <message>
        <source>&amp;Job file:</source>
        <translation>Archivo de la &amp;tarea:</translation>
    </message>
    <message>
        <source>All twelve exports</source>
        <translation>Las doce exportaciones</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>Examinar…</translation>
    </message>
    <message>
        <source>CSV files</source>
        <translation>Archivos CSV</translation>
    </message>
    <message>
        <source>Excel workbook</source>
        <translation>Libro de Excel</translation>
    </message>
    <message>
        <source>Parquet files</source>
        <translation>Archivos Parquet</translation>
    </message>
    <message>
        <source>&amp;Save Job</source>
        <translation>&amp;Guardar tarea</translation>
    </message>
    <message>
        <source>The days chosen now (%1 to %2)</source>
        <translation>Los días elegidos ahora (del %1 al %2)</translation>
    </message>
    <message>
        <source>every channel</source>
        <translation>todos los canales</translation>
    </message>
    <message>
        <source>%1 channels</source>
        <translation>%1 canales</translation>
    </message>
    <message>
        <source>From the window: the zone %1, %2, headers in %3, and the file options.</source>
        <translation>De la ventana: la zona %1, %2, encabezados en %3 y las opciones de archivo.</translation>
    </message>
    <message>
        <source>Spanish</source>
        <translation>español</translation>
    </message>
    <message>
        <source>English</source>
        <translation>inglés</translation>
    </message>
    <message>
        <source>A job file of that name exists: saving replaces it.</source>
        <translation>Ya existe un archivo de tarea con ese nombre: guardar lo reemplaza.</translation>
    </message>
    <message>
        <source>%1 report</source>
        <translation>Informe de %1</translation>
    </message>
    <message>
        <source>Folder for the job&apos;s files</source>
        <translation>Carpeta para los archivos de la tarea</translation>
    </message>
    <message>
        <source>Save job file</source>
        <translation>Guardar el archivo de tarea</translation>
    </message>
    <message>
        <source>Job file (*.toml)</source>
        <translation>Archivo de tarea (*.toml)</translation>
    </message>
    <message>
        <source>Give the job file a name.</source>
        <translation>Dé un nombre al archivo de la tarea.</translation>
    </message>
</context>
<context>
    <name>ScheduleDialog</name>
    <message>
        <source>Schedule Job</source>
        <translation>Programar tarea</translation>
    </message>
    <message>
        <source>Run “%1” on time with the computer&apos;s own scheduler, even when SparkDesk is closed.</source>
        <translation>Ejecutar «%1» a su hora con el programador del propio equipo, aunque SparkDesk esté cerrado.</translation>
    </message>
    <message>
        <source>&amp;Every:</source>
        <translation>&amp;Cada:</translation>
    </message>
    <message>
        <source>&amp;Day:</source>
        <translation>&amp;Día:</translation>
    </message>
    <message>
        <source>&amp;At:</source>
        <translation>&amp;Hora:</translation>
    </message>
    <message>
        <source>Hour</source>
        <translation>hora</translation>
    </message>
    <message>
        <source>Day</source>
        <translation>día</translation>
    </message>
    <message>
        <source>Week</source>
        <translation>semana</translation>
    </message>
    <message>
        <source>&amp;Schedule</source>
        <translation>&amp;Programar</translation>
    </message>
    <message>
        <source>Every hour at this many minutes past the hour.</source>
        <translation>Cada hora, en este minuto.</translation>
    </message>
    <message>
        <source>In this computer&apos;s time. A run missed while it was off happens when it next starts.</source>
        <translation>En la hora de este equipo. Una ejecución perdida mientras estaba apagado se hace al volver a encenderlo.</translation>
    </message>
</context>
</TS>
