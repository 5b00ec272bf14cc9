"""Reports (DESIGN §4): what NGOs hand to supervisors, donors and ministries.

One module per report builds its content through the access module (`casework.access`) and suppresses
every aggregate with `casework.statistics.suppress`, the function behind the API's statistics:

- `case_summary`: one case for a case conference or a handover;
- `caseload`: an organisation's (or all sharing organisations') cases, referrals and assessments in a
  period;
- `country_brief`: a country's legal frameworks, programmes and the suppressed count of its cases.

`tables` holds the table every report is made of, `exports` turns a report into HTML (with a print
stylesheet), PDF, CSV or XLSX, `registry` lists the reports for `/reports/` and saved definitions.
Templates live in `templates/reports/`, so a deployment can override them.
"""
