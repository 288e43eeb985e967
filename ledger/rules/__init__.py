"""The plant's rules: what the ledger refuses and what it flags, in one place.

Pure Python over plain data (event objects, the catalogue in force, facts about a unit, a
lot, a cylinder, a scale), with no I/O, so that the station (before it signs), the ledger's
append path (for every writer) and the certificate verifier (offline) call the very same
functions. Split by subject:

- `reasons`     every refusal and flag: its code, parameters and bilingual message
- `codes`       the enumerations events use (sources, absent reasons, flag codes)
- `facts`       what the rules read: a unit's, a lot's and a cylinder's events, folded
- `timing`      event times: not far in the future, never before the station's registration
- `units`       intake, the route's order, completion
- `refrigerant` recovery cylinders (registered, same gas, Guideline K, continuity), absence
- `lots`        the lot state machine, fractions, hazardous lots, shipping and receipt
- `sets`        desktop sets: a host and its monitor naming each other, claimed once
- `flags`       what is recorded but questioned: low recovery, mass balance, yields,
                calibration overdue, receipt weight
- `judge`       one entry point per use: `check` an event before it is written, `judge_unit`
                a unit's whole record (what a certificate states and a verifier recomputes)
"""
