"""fingraph's financial services: payments, credit and funds, and their shared kernel."""
