"""The export's file writers: CSV (wide, long, options), XLSX, data package."""
