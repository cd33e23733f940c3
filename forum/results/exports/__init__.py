"""The export writers of issue 9: a result (``forum.results.rows``) as CSV, JSON, XLSX
and DOCX files. They format rows, one at a time; they never query the database."""
