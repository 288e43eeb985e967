"""`dledger demo`: a simulated dismantling plant, end to end, on one laptop.

The console, three real stations (station/ Workstation) whose scanners and scales are the
project's simulators on pseudo-terminals, and workers driving them with realistic units:

- units.py     the generator: what comes in (category mix, weights, refrigerants, yields)
- network.py   a cable between a station and the console that can be pulled (offline)
- setup.py     the instance, its catalogue, console users, station keys approved,
               cylinders, calibrations
- plant.py     the running plant: console server, stations, devices, their start and stop
- worker.py    one worker at one station: scans, weighs and presses, as on the kiosk
- line.py      the line: units flowing intake → recovery → dismantling, incidents included,
               paused between units for the stock count at the end of each demo day
- storage.py   the storekeeping: units and lots in the catalogue's zones, a unit set aside
               and taken back, the blind stock count and its adjustments
- records.py   what the ledger recorded of a run: its flags and the recorded refusals
- cli.py       the `dledger demo` command (live, or --headless with a JSON summary)
"""
