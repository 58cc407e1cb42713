"""Reports over a :class:`garrison.model.scan.ScanResult`: a rich table, versioned JSON and SARIF 2.1.0."""
