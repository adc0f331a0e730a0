"""Reading billing exports: any table (CSV, TSV, Excel, Parquet) or a vendor's export, turned into
canonical lines with every row kept or reported with a reason."""
