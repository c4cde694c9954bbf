"""What the tests and the benchmarks share: the GUI driver, a private X server, real `kiosk`
and `kiosk hall` processes, signing clients and test data helpers. Not part of the product:
nothing in kiosk/, hardware/, screens/ or hall/ imports it."""
