"""The other sources: SEC filings, consensus files, call transcripts and exchange rates, and the evidence they
give a company before it is computed."""
