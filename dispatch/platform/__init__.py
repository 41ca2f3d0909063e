"""Cross-cutting pieces with no domain rules: access, errors, audit, the clock, jobs, i18n, labels, fields."""
