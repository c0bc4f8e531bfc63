"""Apps the tests run (a package, so the package path of code shipping is exercised)."""
