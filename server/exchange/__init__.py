"""Programme exchange: iCalendar, frab JSON/XML schedules, CSV and frab imports, mail notices."""
