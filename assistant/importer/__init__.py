"""Portfolio import: officers, clients, loans, guarantors and collateral from XLSX or CSV.

The import is all-or-nothing. :meth:`PortfolioImporter.preview` parses and validates a file
against itself and the current database and reports what would change; :meth:`apply` does the
same and, only when no problem was found, upserts everything in one transaction. Records are
matched by their business keys (staff number, client code, contract number, ...), so importing
the same file twice changes nothing the second time, and nothing is ever deleted.

Problems are returned as :class:`ImportIssue` values (a message key plus parameters, never an
exception) so that the user can be told in their own language exactly which sheet, row and
column to fix. The template is documented in ``docs/import-template.md``.
"""

from assistant.importer.model import ImportIssue, ImportReport, TableCounts
from assistant.importer.render import render_report
from assistant.importer.service import PortfolioImporter

__all__ = ["ImportIssue", "ImportReport", "PortfolioImporter", "TableCounts", "render_report"]
